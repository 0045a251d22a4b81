#!/usr/bin/python3
"""bench/video/video_load.py - the live-video figures of issue 9, driven over HTTP.

Registers N cameras (POST /api/v1/cameras, each pointing at one mount of the fake camera),
then measures:
  cold  time from POST /cameras/{id}/play to the first complete fragment (moof+mdat) read
        from live.mp4, for cameras with no running session (each measured once);
  warm  the same for a camera whose session another reader already holds;
  load  N continuous live.mp4 readers at once (N upstream sessions), the server's CPU
        (utime+stime of its /proc/PID/stat) and RSS over a window, and the fragments each
        reader got.
Prints one line per figure and a RESULT line. Never used by the tests.
Standard library only (Debian's /usr/bin/python3)."""
import argparse, http.client, json, os, statistics, struct, threading, time

def req(port, method, path, token, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Authorization": "Bearer " + token}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

def read_exact(f, n):
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            raise EOFError("stream ended")
        out += chunk
    return out

def boxes(f):
    """Yields (type, size) of top-level boxes of a byte stream, reading their payloads."""
    while True:
        head = read_exact(f, 8)
        size, kind = struct.unpack(">I4s", head)
        if size == 1:
            size = struct.unpack(">Q", read_exact(f, 8))[0] - 8
        read_exact(f, size - 8)
        yield kind.decode("latin-1"), size

def open_stream(port, url):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", url)
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError("live.mp4: HTTP %d" % r.status)
    return c, r

def time_to_first_fragment(port, token, cam):
    t0 = time.monotonic()
    st, data = req(port, "POST", "/api/v1/cameras/%d/play" % cam, token, {})
    if st != 200:
        raise RuntimeError("play: HTTP %d %s" % (st, data[:200]))
    c, r = open_stream(port, json.loads(data)["stream"])
    seen_moof = False
    for kind, _ in boxes(r):
        if kind == "moof":
            seen_moof = True
        elif kind == "mdat" and seen_moof:
            break
    ms = (time.monotonic() - t0) * 1000
    c.close()
    return ms

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

def proc_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--mounts", required=True, help="comma-separated rtsp URLs")
    ap.add_argument("--cameras", type=int, default=50)
    ap.add_argument("--cold", type=int, default=20)
    ap.add_argument("--warm", type=int, default=20)
    ap.add_argument("--window", type=float, default=30)
    a = ap.parse_args()
    mounts = a.mounts.split(",")
    ids = []
    for i in range(a.cameras):
        body = {"source": "bench-video", "external_id": "c%03d" % i, "gb_id": "110102000013200%05d" % i,
                "name": "bench camera %d" % i, "stream_url": mounts[i % len(mounts)]}
        st, data = req(a.port, "POST", "/api/v1/cameras", a.token, body)
        if st not in (200, 201):
            raise SystemExit("camera %d: HTTP %d %s" % (i, st, data[:200]))
        st, data = req(a.port, "GET", "/api/v1/cameras?q=110102000013200%05d" % i, a.token)
        ids.append(json.loads(data)["items"][0]["id"])

    # Cameras encode all the time; the fake camera starts a mount's encoder at its first
    # DESCRIBE, so one reader per mount is held open first and cold figures come from other
    # cameras (new upstream sessions on an encoding camera).
    stop = threading.Event()
    def drain(resp):
        try:
            while not stop.is_set() and resp.read(65536):
                pass
        except Exception:
            pass
    warmers = []
    for i in range(len(mounts)):
        st, data = req(a.port, "POST", "/api/v1/cameras/%d/play" % ids[i], a.token, {})
        c, r = open_stream(a.port, json.loads(data)["stream"])
        warmers.append(c)
        threading.Thread(target=drain, args=(r,), daemon=True).start()
    time.sleep(2)
    todo = ids[len(mounts):len(mounts) + a.cold]
    cold = [time_to_first_fragment(a.port, a.token, cam) for cam in todo]
    print("cold: n=%d p50=%.0f ms p99=%.0f ms max=%.0f ms" % (len(cold), pct(cold, 50), pct(cold, 99), max(cold)))

    # warm: one reader holds camera ids[-1]; further viewers join its session.
    st, data = req(a.port, "POST", "/api/v1/cameras/%d/play" % ids[-1], a.token, {})
    holder, hr = open_stream(a.port, json.loads(data)["stream"])
    threading.Thread(target=drain, args=(hr,), daemon=True).start()
    time.sleep(2)
    warm = [time_to_first_fragment(a.port, a.token, ids[-1]) for _ in range(a.warm)]
    print("warm: n=%d p50=%.0f ms p99=%.0f ms max=%.0f ms" % (len(warm), pct(warm, 50), pct(warm, 99), max(warm)))
    stop.set()
    holder.close()
    for c in warmers:
        c.close()

    # load: every camera read continuously.
    counts = [0] * len(ids)
    conns = []
    stop = threading.Event()
    def reader(k, resp):
        try:
            for kind, _ in boxes(resp):
                if stop.is_set():
                    break
                if kind == "moof":
                    counts[k] += 1
        except Exception:
            pass
    for k, cam in enumerate(ids):
        st, data = req(a.port, "POST", "/api/v1/cameras/%d/play" % cam, a.token, {})
        c, r = open_stream(a.port, json.loads(data)["stream"])
        conns.append(c)
        threading.Thread(target=reader, args=(k, r), daemon=True).start()
    time.sleep(5)
    base = list(counts)
    cpu0, t0 = proc_cpu(a.server_pid), time.monotonic()
    rss = []
    while time.monotonic() - t0 < a.window:
        time.sleep(1)
        rss.append(proc_rss_mb(a.server_pid))
    cpu1, t1 = proc_cpu(a.server_pid), time.monotonic()
    got = [counts[k] - base[k] for k in range(len(ids))]
    stop.set()
    for c in conns:
        c.close()
    core = (cpu1 - cpu0) / (t1 - t0)
    print("load: streams=%d window=%.0f s server_cpu=%.2f core rss_max=%.0f MB fragments/s per stream: min=%.1f median=%.1f"
          % (len(ids), t1 - t0, core, max(rss), min(got) / (t1 - t0), statistics.median(got) / (t1 - t0)))
    print("RESULT cold_p50_ms=%.0f cold_p99_ms=%.0f warm_p50_ms=%.0f warm_p99_ms=%.0f streams=%d server_cores=%.2f rss_mb=%.0f"
          % (pct(cold, 50), pct(cold, 99), pct(warm, 50), pct(warm, 99), len(ids), core, max(rss)))

if __name__ == "__main__":
    main()
