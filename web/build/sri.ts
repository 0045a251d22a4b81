/* build/sri.ts - Vite plugin: Subresource Integrity for the built index.html (S2).
 *
 * After the bundle is written, every <script src> and every <link href> whose rel is
 * stylesheet, modulepreload or preload in each emitted .html file gets
 * integrity="sha384-…" computed from the file on disk, plus crossorigin when missing. The
 * hashes are taken in writeBundle, after every other plugin has had its last word on the
 * chunk contents, so they match the bytes the server embeds.
 *
 * The build fails when the page has something SRI cannot cover under our CSP: an inline
 * <script> or <style>, a style="" attribute, an external URL, or a reference to a file
 * that is not in the output folder.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';

const SRI_LINK_RELS = new Set(['stylesheet', 'modulepreload', 'preload']);

interface Attr {
  name: string;
  value: string | null;
}

function parseAttrs(text: string): Attr[] {
  const out: Attr[] = [];
  const re = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const value = m[2] ?? m[3] ?? m[4] ?? null;
    out.push({ name: m[1].toLowerCase(), value });
  }
  return out;
}

function renderTag(tag: string, attrs: Attr[], selfClosing: boolean): string {
  const parts = attrs.map((a) => (a.value === null ? a.name : `${a.name}="${a.value.replace(/"/g, '&quot;')}"`));
  return `<${tag} ${parts.join(' ')}${selfClosing ? ' /' : ''}>`;
}

function isExternal(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');
}

/** sha384 in the form the integrity attribute wants. */
export function sriHash(data: Buffer | string): string {
  return 'sha384-' + createHash('sha384').update(data).digest('base64');
}

/** Adds SRI to one HTML document; outDir is where the referenced files live, base the public base path. */
export function addSri(html: string, outDir: string, base: string): string {
  if (/<style[\s>]/i.test(html)) throw new Error('sri: inline <style> element in HTML (CSP forbids it)');
  if (/\sstyle\s*=/i.test(html)) throw new Error('sri: style="" attribute in HTML (CSP forbids it)');
  return html.replace(/<(script|link)\b([^>]*?)(\/?)>/gi, (whole, rawTag: string, rawAttrs: string, slash: string) => {
    const tag = rawTag.toLowerCase();
    const attrs = parseAttrs(rawAttrs);
    const get = (n: string) => attrs.find((a) => a.name === n);
    let url: string | null | undefined;
    if (tag === 'script') {
      url = get('src')?.value;
      if (!url) throw new Error('sri: inline <script> in HTML (CSP forbids it)');
    } else {
      const rel = (get('rel')?.value ?? '').toLowerCase().split(/\s+/);
      const href = get('href')?.value;
      if (href && isExternal(href)) throw new Error(`sri: external URL in HTML: ${href}`);
      if (!rel.some((r) => SRI_LINK_RELS.has(r))) return whole;
      url = href;
      if (!url) throw new Error('sri: <link> without href');
    }
    if (isExternal(url)) throw new Error(`sri: external URL in HTML: ${url}`);
    let rel = url.split(/[?#]/)[0];
    if (base !== '/' && rel.startsWith(base)) rel = rel.slice(base.length);
    rel = rel.replace(/^\/+/, '');
    const file = path.resolve(outDir, rel);
    if (!file.startsWith(path.resolve(outDir) + path.sep)) throw new Error(`sri: path escapes outDir: ${url}`);
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      throw new Error(`sri: referenced file not in output: ${url}`);
    }
    const kept = attrs.filter((a) => a.name !== 'integrity');
    kept.push({ name: 'integrity', value: sriHash(data) });
    if (!kept.some((a) => a.name === 'crossorigin')) kept.push({ name: 'crossorigin', value: null });
    return renderTag(tag, kept, slash === '/');
  });
}

export default function sri(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'jiayuan-sri',
    apply: 'build',
    enforce: 'post',
    configResolved(c) {
      config = c;
    },
    writeBundle: {
      order: 'post',
      sequential: true,
      handler(options, bundle) {
        const outDir = options.dir ?? path.resolve(config.root, config.build.outDir);
        for (const fileName of Object.keys(bundle)) {
          if (!fileName.endsWith('.html')) continue;
          const full = path.join(outDir, fileName);
          const html = readFileSync(full, 'utf8');
          writeFileSync(full, addSri(html, outDir, config.base));
        }
      },
    },
  };
}
