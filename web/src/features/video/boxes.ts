/* features/video/boxes.ts - the ISO BMFF (fragmented MP4) box splitter of the live player
 * (issue 9, design §5.4), and the RFC 6381 codec string of an init segment.
 *
 * The continuous stream GET /media/v1/p/<tok>/live.mp4 is one chunked reply: an init segment
 * (ftyp + moov), then moof + mdat fragments; after an upstream reconnect a new ftyp + moov
 * comes in-band. Network chunks split boxes anywhere, so BoxSplitter buffers bytes and hands
 * out whole top-level boxes, grouped: an "init" piece (ftyp up to and including moov) or a
 * "media" piece (moof up to and including its mdat). Other top-level boxes (styp, sidx,
 * free, ...) are passed through with the next media piece. A box size < 8 (other than the
 * 64-bit form) or above MAX_BOX is refused with an Error: the stream is broken, reconnect.
 */

export interface Piece {
  kind: 'init' | 'media';
  data: Uint8Array;
}

/** Largest box accepted (a 4K keyframe is a few MiB). */
export const MAX_BOX = 64 * 1024 * 1024;

function fourcc(b: Uint8Array, off: number): string {
  return String.fromCharCode(b[off], b[off + 1], b[off + 2], b[off + 3]);
}

function u32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export class BoxSplitter {
  private buf = new Uint8Array(0);
  private len = 0;
  /** boxes read but not handed out yet (an init or media piece in progress) */
  private pending: Uint8Array[] = [];
  private pendingKind: Piece['kind'] | null = null;

  /** Adds bytes; returns the pieces completed by them, in order. */
  push(chunk: Uint8Array): Piece[] {
    this.append(chunk);
    const out: Piece[] = [];
    let off = 0;
    while (this.len - off >= 8) {
      let size = u32(this.buf, off);
      const type = fourcc(this.buf, off + 4);
      if (size === 1) {
        if (this.len - off < 16) break;
        const hi = u32(this.buf, off + 8);
        size = hi * 2 ** 32 + u32(this.buf, off + 12);
      }
      if (size === 0) throw new Error(`box ${JSON.stringify(type)} runs to the end of the stream`);
      if (size < 8 || size > MAX_BOX) throw new Error(`bad box size ${size} (${JSON.stringify(type)})`);
      if (this.len - off < size) break;
      this.box(type, this.buf.slice(off, off + size), out);
      off += size;
    }
    if (off > 0) {
      this.buf.copyWithin(0, off, this.len);
      this.len -= off;
    }
    return out;
  }

  /** Bytes held that do not make a piece yet. */
  get buffered(): number {
    return this.len + this.pending.reduce((n, b) => n + b.length, 0);
  }

  private box(type: string, data: Uint8Array, out: Piece[]) {
    if (type === 'ftyp') {
      this.pending = [];
      this.pendingKind = 'init';
    } else if (type === 'moof' && this.pendingKind !== 'init') {
      this.pendingKind = 'media';
    }
    this.pending.push(data);
    const ends = (this.pendingKind === 'init' && type === 'moov') || (this.pendingKind === 'media' && type === 'mdat');
    if (ends) {
      out.push({ kind: this.pendingKind!, data: concat(this.pending) });
      this.pending = [];
      this.pendingKind = null;
    }
  }

  private append(chunk: Uint8Array) {
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.len + chunk.length, this.buf.length * 2, 64 * 1024));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/* ---------- codec string of an init segment (RFC 6381) ---------- */

/* The boxes on the way to the sample entry: moov/trak/mdia/minf/stbl/stsd. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
/* Bytes between a visual sample entry's header and its child boxes (ISO 14496-12 §12.1.3). */
const VISUAL_ENTRY = 78;

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** "avc1.PPCCLL" from an avcC box body. */
function avcCodec(entry: string, body: Uint8Array): string {
  return `${entry}.${hex2(body[1])}${hex2(body[2])}${hex2(body[3])}`;
}

/** "hvc1.<profile>.<compat>.<tier><level>.<constraints>" from an hvcC box body (ISO 14496-15 E.3). */
function hevcCodec(entry: string, body: Uint8Array): string {
  const space = ['', 'A', 'B', 'C'][body[1] >> 6];
  const tier = body[1] & 0x20 ? 'H' : 'L';
  const profile = body[1] & 0x1f;
  let compat = u32(body, 2);
  let rev = 0; /* the compatibility flags, bit-reversed */
  for (let i = 0; i < 32; i++) {
    rev = ((rev << 1) | (compat & 1)) >>> 0;
    compat >>>= 1;
  }
  const cons: string[] = [];
  for (let i = 6; i < 12; i++) cons.push(hex2(body[i]));
  while (cons.length > 1 && cons[cons.length - 1] === '00') cons.pop();
  return `${entry}.${space}${profile}.${rev.toString(16).toUpperCase()}.${tier}${body[12]}.${cons.join('.')}`;
}

/**
 * The codec string of the first video track of an init segment (ftyp + moov), e.g.
 * "avc1.4D401E" or "hvc1.1.6.L93.B0"; the sample entry's four-character code alone for
 * other codecs; null when there is none or the boxes are malformed.
 */
export function codecOfInit(init: Uint8Array): string | null {
  const walk = (from: number, to: number): string | null => {
    let off = from;
    while (off + 8 <= to) {
      const size = u32(init, off);
      const type = fourcc(init, off + 4);
      if (size < 8 || off + size > to) return null;
      if (CONTAINERS.has(type)) {
        const r = walk(off + 8, off + size);
        if (r) return r;
      } else if (type === 'stsd') {
        /* full box (4) + entry_count (4), then the first sample entry */
        const e = off + 16;
        if (e + 8 > off + size) return null;
        const entrySize = u32(init, e);
        const entry = fourcc(init, e + 4);
        const end = Math.min(e + entrySize, off + size);
        for (let c = e + 8 + VISUAL_ENTRY; c + 8 <= end; ) {
          const cs = u32(init, c);
          const ct = fourcc(init, c + 4);
          if (cs < 8 || c + cs > end) break;
          const body = init.subarray(c + 8, c + cs);
          if (ct === 'avcC' && body.length >= 4) return avcCodec(entry, body);
          if (ct === 'hvcC' && body.length >= 13) return hevcCodec(entry, body);
          c += cs;
        }
        return entry;
      }
      off += size;
    }
    return null;
  };
  return walk(0, init.length);
}

/** True for an H.265 codec string (hvc1/hev1). */
export function isHevc(codec: string | null | undefined): boolean {
  return !!codec && /^(hvc1|hev1)/i.test(codec);
}
