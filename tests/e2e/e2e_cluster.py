#!/usr/bin/env python3
"""tests/e2e/e2e_cluster.py - two `jiayuan serve` nodes on one PostgreSQL database behind
Debian's nginx (issue 13 "More than one node"; R2.x push, R4.3 batches, architecture §5).

What runs, all real: the binary (JIAYUAN_BIN) twice on free loopback ports, sharing one var
folder (the key file) and one new, empty PostgreSQL schema; nginx as a non-daemon child with
a temporary config (proxy_buffering off for SSE); a webhook receiver (this process, HTTP);
one SSE client on each node. The test:
  1. creates two webhook subscriptions (all topics) on node A alone, lets A deliver, then
     starts node B (so A holds the subscriptions' advisory locks);
  2. feeds sites and samples alternately through A, B and nginx, uploads a resident list
     through nginx (a batch);
  3. SIGKILLs node A mid-way, goes on feeding through B and nginx; A's SSE client reconnects
     through nginx with Last-Event-ID (nginx sends it to B);
  3b. changes the lockout policy on B and checks A enforces it (no restart);
  4. marks the batch as a dead node leaves it (running, owned by A, lease expired) and waits
     for B to take it over;
  5. checks against the outbox table: each SSE client saw every event, ids strictly
     increasing, none twice, none missing; the receiver got every event of each
     subscription, first deliveries strictly in id order, and a repeat only of an event A
     had delivered before it died (the batch it had not yet recorded: at least once); the
     batch finished once (done, one result per row).
No timing assertions: waits poll for a state, with generous hang guards.
Skips (77) without JIAYUAN_TEST_PG or nginx, unless JIAYUAN_REQUIRE_PG=1 (then it fails).
"""
import base64, hashlib, hmac, http.client, http.server, json, os, random, shutil, signal, socket
import struct, subprocess, sys, tempfile, threading, time

BIN = os.environ.get("JIAYUAN_BIN", "build/jiayuan")
PG = os.environ.get("JIAYUAN_TEST_PG", "")
REQUIRE = os.environ.get("JIAYUAN_REQUIRE_PG") == "1"
PASSWORD = "Tq7#vLw2!pZe"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
GUARD = 240  # seconds: a hang guard for each wait, never a speed measure


def skip(why):
    print("e2e_cluster: " + ("FAIL " if REQUIRE else "SKIP ") + why)
    sys.exit(1 if REQUIRE else 77)


def fail(why):
    print("e2e_cluster: FAIL " + why)
    raise SystemExit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(what, pred):
    end = time.monotonic() + GUARD
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    fail("gave up waiting for " + what)


def psql(sql, schema):
    out = subprocess.run(["psql", PG, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c",
                          "SET search_path = %s; %s" % (schema, sql)], capture_output=True, text=True)
    if out.returncode:
        fail("psql: " + out.stderr.strip())
    return [l for l in out.stdout.splitlines() if l]


# --- id numbers (GB 11643 check digit) -------------------------------------------------------
def idno(first17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * k for c, k in zip(first17, w)) % 11]


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


# --- HTTP -------------------------------------------------------------------------------------
class Client:
    def __init__(self, port, bearer=None):
        self.port, self.bearer, self.cookie, self.csrf = port, bearer, None, None

    def call(self, method, path, body=None, headers=None, raw=False):
        h = dict(headers or {})
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        if body is not None and not raw:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("__Host-jy_session="):
                self.cookie = v.split(";", 1)[0]
        c.close()
        try:
            j = json.loads(data) if data else None
        except ValueError:
            j = None
        if isinstance(j, dict) and isinstance(j.get("csrf_token"), str):
            self.csrf = j["csrf_token"]
        return r.status, j

    def login(self, user):
        st, j = self.call("POST", "/api/v1/auth/login", {"username": user, "password": PASSWORD})
        if st != 200:
            fail("login %s: %s %s" % (user, st, j))


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []  # (path, event id, monotonic time) in arrival order
    lock = threading.Lock()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        with Receiver.lock:
            Receiver.got.append((self.path, int(self.headers["X-Jiayuan-Event-Id"]), time.monotonic()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class Sse(threading.Thread):
    """An EventSource: reads ids; on a broken stream reconnects (to reconnect_port) with
    Last-Event-ID, as browsers do."""

    def __init__(self, port, token, reconnect_port):
        super().__init__(daemon=True)
        self.port, self.token, self.reconnect_port = port, token, reconnect_port
        self.ids, self.reconnects, self.stop = [], 0, False

    def run(self):
        port = self.port
        while not self.stop:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                last = self.ids[-1] if self.ids else 0
                s.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                           "Authorization: Bearer %s\r\nLast-Event-ID: %d\r\n\r\n" % (self.token, last)).encode())
                f = s.makefile("rb")
                status = f.readline()
                if b" 200 " not in status:
                    raise OSError("status " + status.decode(errors="replace").strip())
                while not self.stop:
                    line = f.readline()
                    if not line:
                        raise OSError("closed")
                    if line.startswith(b"id: "):
                        self.ids.append(int(line[4:]))
            except OSError:
                if self.stop:
                    break
                port = self.reconnect_port
                self.reconnects += 1
                time.sleep(0.3)


def sqlite_single_node():
    """SQLite has one node: a second serve on the same file is refused, the first keeps serving."""
    tmp = tempfile.mkdtemp(prefix="jy-cluster-sqlite-")
    var = os.path.join(tmp, "var")
    first = None
    try:
        subprocess.run([BIN, "keys", "init", "--var", var], check=True, capture_output=True)
        p1, p2 = free_port(), free_port()
        first = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:%d" % p1, "--var", var, "--threads", "2"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("the SQLite node", lambda: port_open(p1) or (first.poll() is not None and fail("first node exited")))
        second = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:%d" % p2, "--var", var, "--threads", "2"],
                                capture_output=True, text=True, timeout=GUARD)
        if second.returncode != 1 or "several nodes need PostgreSQL" not in second.stderr:
            fail("a second serve on one SQLite file: exit %s, %s" % (second.returncode, second.stderr.strip()[-200:]))
        if Client(p1).call("GET", "/healthz")[0] != 200 or first.poll() is not None:
            fail("the first SQLite node stopped serving")
    finally:
        if first and first.poll() is None:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    print("e2e_cluster: ok - a second serve on one SQLite database is refused")


def main():
    sqlite_single_node()
    if not PG:
        skip("JIAYUAN_TEST_PG is not set (PostgreSQL only: SQLite has one node)")
    if not NGINX:
        skip("nginx is not installed (apt-get install nginx)")
    tmp = tempfile.mkdtemp(prefix="jy-cluster-")
    schema = "e2e_cluster_%d_%d" % (os.getpid(), random.randrange(1 << 30))
    procs = {}
    try:
        run(tmp, schema, procs)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["psql", PG, "-qAtX", "-c", "DROP SCHEMA IF EXISTS %s CASCADE" % schema],
                       capture_output=True)
        if os.environ.get("JY_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def run(tmp, schema, procs):
    subprocess.run(["psql", PG, "-qAtX", "-c", "CREATE SCHEMA " + schema], check=True, capture_output=True)
    url = PG + ("&" if "?" in PG else "?") + "options=-c%20search_path%3D" + schema
    var = os.path.join(tmp, "var")
    log = open(os.path.join(tmp, "log.txt"), "ab")

    def cli(*args, stdin=None):
        r = subprocess.run([BIN] + list(args) + ["--var", var, "--db", url], input=stdin,
                           capture_output=True, text=True)
        log.write(r.stderr.encode())
        if r.returncode:
            fail("jiayuan %s: %s" % (" ".join(args[:2]), r.stderr.strip()[-300:]))
        return r.stdout

    cli("keys", "init")
    for user, role in (("sally", "sysadmin"), ("dora", "district"), ("sec", "secadmin"), ("vic", "district")):
        cli("user", "add", "--username", user, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    feeder = cli("token", "add", "--name", "feeder", "--scopes", "sites.write,samples.write")
    screen = cli("token", "add", "--name", "screen", "--scopes", "events.read,dashboard.read")
    feeder = feeder[feeder.index("jy_"):].split()[0]
    screen = screen[screen.index("jy_"):].split()[0]
    cli("webhook-allow", "--set", "127.0.0.1")

    env = dict(os.environ, JIAYUAN_WEBHOOK_BACKOFF_MS="50", JIAYUAN_EVENTS_HEARTBEAT_MS="500")
    pa, pb, pn = free_port(), free_port(), free_port()

    def serve(name, port):
        nlog = open(os.path.join(tmp, "node-%s.log" % name), "ab")
        p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:%d" % port, "--var", var, "--db", url,
                              "--login-limit", "1000000", "--threads", "3"], env=env, stdout=nlog, stderr=nlog)
        procs[name] = p

        def up():
            if p.poll() is not None:
                fail("node %s exited with %s (log: %s)" % (name, p.returncode, nlog.name))
            return port_open(port) and Client(port).call("GET", "/healthz")[0] == 200
        wait_for("node %s" % name, up)

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    rport = receiver.server_address[1]

    def enrol(client, user):
        client.login(user)
        st, j = client.call("POST", "/api/v1/auth/totp/setup", {})
        if st != 200:
            fail("totp setup: %s %s" % (st, j))
        if client.call("POST", "/api/v1/auth/totp/enable", {"code": totp(j["secret"], int(time.time()) // 30)})[0] != 200:
            fail("totp enable")

    serve("a", pa)
    admin = Client(pa)
    enrol(admin, "sally")
    hooks = []
    for path in ("/s1", "/s2"):
        st, j = admin.call("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:%d%s" % (rport, path), "topics": ""})
        if st != 201 and st != 200:
            fail("webhook create: %s %s" % (st, j))
        hooks.append(path)

    feed_a, feed = Client(pa, feeder), {"n": 0}

    def ingest(client):
        k = feed["n"] = feed["n"] + 1
        sites = [{"source": "e2e-cluster", "external_id": "c%d-%d" % (k, i), "code": "C%d-%d" % (k, i),
                  "name": "C%d-%d" % (k, i), "type": "fixed", "subdistrict": "110102001", "lon": 116.36, "lat": 39.91}
                 for i in range(2)]
        st, j = client.call("POST", "/api/v1/sites/batch", sites)
        if st != 200:
            fail("sites via %d: %s %s" % (client.port, st, j))
        now = int(time.time() * 1000)
        samples = []
        for i in range(3):
            x = k * 10 + i
            first17 = "110105198%01d%02d%02d%03d" % (x % 10, x % 12 + 1, x % 28 + 1, x % 1000)
            samples.append({"source": "e2e-cluster", "external_id": "s%d-%d" % (os.getpid(), x),
                            "id_number": idno(first17), "name": "张三", "tube_code": "T%d" % x,
                            "site_code": sites[i % 2]["code"], "collected_at": now - 60000})
        st, j = client.call("POST", "/api/v1/samples/batch", samples)
        if st != 200:
            fail("samples via %d: %s %s" % (client.port, st, j))

    ingest(feed_a)
    wait_for("node A's first webhook deliveries", lambda: len({p for p, _, _ in Receiver.got}) == 2)
    serve("b", pb)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF % {"tmp": tmp, "pn": pn, "pa": pa, "pb": pb})
    procs["nginx"] = subprocess.Popen([NGINX, "-p", tmp, "-c", conf, "-g", "daemon off;"], stdout=log, stderr=log)
    wait_for("nginx", lambda: port_open(pn))

    # settings reach every node without a restart: the lockout threshold changed on B holds on A
    sec = Client(pb)
    enrol(sec, "sec")
    st, policy = sec.call("GET", "/api/v1/settings/policy")
    if st != 200 or policy["lockout_attempts"] == 2:
        fail("policy: %s %s" % (st, policy))
    policy["lockout_attempts"] = 2
    st, j = sec.call("PUT", "/api/v1/settings/policy", policy)
    if st != 200:
        fail("policy change on B: %s %s" % (st, j))
    wait_for("node A to reload the policy",
             lambda: b'"settings.reloaded"' in open(os.path.join(tmp, "node-a.log"), "rb").read())
    vic = Client(pa)
    for _ in range(2):
        if vic.call("POST", "/api/v1/auth/login", {"username": "vic", "password": "wrong-Password-1"})[0] == 200:
            fail("a wrong password was accepted")
    st, j = vic.call("POST", "/api/v1/auth/login", {"username": "vic", "password": PASSWORD})
    if st == 200:
        fail("node A still used the old lockout threshold after B changed it")

    sse_a, sse_b = Sse(pa, screen, pn), Sse(pb, screen, pb)
    sse_a.start()
    sse_b.start()
    feed_b, feed_n = Client(pb, feeder), Client(pn, feeder)
    for i in range(6):
        ingest((feed_a, feed_b, feed_n)[i % 3])

    dora = Client(pn)
    dora.login("dora")
    rows = 40
    body = "身份证号码\n" + "".join(idno("11010519900101%03d" % i) + "\n" for i in range(rows))
    bnd = "jyclusterboundary"
    form = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n%s\r\n--%s--\r\n" % (bnd, body, bnd)).encode()
    st, j = dora.call("POST", "/api/v1/batches", form, {"Content-Type": "multipart/form-data; boundary=" + bnd}, raw=True)
    if st != 201:
        fail("batch upload: %s %s" % (st, j))
    batch = j["id"]
    wait_for("the batch", lambda: dora.call("GET", "/api/v1/batches/%d" % batch)[1]["status"] == "done")

    # A dies mid-way: SSE streams and webhook deliveries are in flight
    ingest(feed_a)
    procs["a"].send_signal(signal.SIGKILL)
    procs["a"].wait()
    killed_at = time.monotonic()
    for i in range(6):
        ingest((feed_b, feed_n)[i % 2])

    # the batch as a node leaves it when it dies while running it: running, owned by A,
    # its lease run out; B's lease thread must queue it again and run it to the end
    runs0 = int(psql("SELECT runs FROM batches WHERE id = %d" % batch, schema)[0])
    host = socket.gethostname()  # serve names its node "<host>/<listen>"; a finished batch has no owner
    psql("UPDATE batches SET status = 'running', owner = '%s/127.0.0.1:%d', lease_until = 1 WHERE id = %d"
         % (host, pa, batch), schema)
    wait_for("B to take the dead node's batch over and finish it (A is dead: only B can)",
             lambda: psql("SELECT status, runs, owner FROM batches WHERE id = %d" % batch, schema)[0] ==
             "done|%d|" % (runs0 + 1))

    outbox = [int(x) for x in psql("SELECT id FROM outbox ORDER BY id", schema)]
    head = outbox[-1]
    wait_for("both SSE clients at the outbox head", lambda: sse_a.ids[-1:] == [head] and sse_b.ids[-1:] == [head])
    wait_for("every webhook delivered",
             lambda: all({e for p, e, _ in list(Receiver.got) if p == h} >= set(outbox) for h in hooks))
    sse_a.stop = sse_b.stop = True

    # --- checks -----------------------------------------------------------------------------
    for name, c in (("node A's client (reconnected through nginx)", sse_a), ("node B's client", sse_b)):
        if c.ids != outbox:
            missing = sorted(set(outbox) - set(c.ids))
            fail("%s: %d ids, outbox %d; missing %s; in order and once: %s" % (
                name, len(c.ids), len(outbox), missing[:10], c.ids == sorted(set(c.ids))))
    if sse_a.reconnects < 1:
        fail("node A's SSE client never had to reconnect: the kill did not cut its stream")
    repeats = 0
    for h in hooks:
        seen, first = set(), []
        for p, e, t in list(Receiver.got):
            if p != h:
                continue
            if e in seen:
                repeats += 1
                if t < killed_at:
                    fail("%s: event %d delivered twice while both nodes lived" % (h, e))
                continue
            seen.add(e)
            first.append((e, t))
        if [e for e, _ in first] != outbox:
            fail("%s: first deliveries not the outbox in order: %s" % (h, [e for e, _ in first][:20]))
    # the wake-ups came by NOTIFY, not only by the poll fallback
    c = http.client.HTTPConnection("127.0.0.1", pb, timeout=60)
    c.request("GET", "/metrics")
    metrics = c.getresponse().read().decode()
    notes = {l.split('"')[1]: int(l.split()[-1]) for l in metrics.splitlines()
             if l.startswith("jiayuan_push_notifications_total{")}
    if notes.get("outbox", 0) < 1 or notes.get("settings", 0) < 1:
        fail("node B received no notifications: %s" % notes)
    status, results, runs = psql("SELECT status, (SELECT count(*) FROM batch_results r WHERE r.batch_id = b.id),"
                                 " runs FROM batches b WHERE id = %d" % batch, schema)[0].split("|")
    if status != "done" or int(results) != rows:
        fail("batch %d: %s with %s results (want done, %d)" % (batch, status, results, rows))
    print("e2e_cluster: ok - %d events; SSE on both nodes complete and in order (A's client reconnected %d×"
          " through nginx); 2 webhooks each got every event in order (%d re-sent after the kill, all sent by"
          " the dead node first); batch taken over and done with %d results (runs %s); policy change on B"
          " enforced on A"
          % (len(outbox), sse_a.reconnects, repeats, rows, runs))


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


NGINX_CONF = """
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(tmp)s/nginx-body;
    proxy_temp_path %(tmp)s/nginx-proxy;
    fastcgi_temp_path %(tmp)s/nginx-fcgi;
    uwsgi_temp_path %(tmp)s/nginx-uwsgi;
    scgi_temp_path %(tmp)s/nginx-scgi;
    client_max_body_size 70m;
    upstream jiayuan {
        server 127.0.0.1:%(pa)d max_fails=1 fail_timeout=60s;
        server 127.0.0.1:%(pb)d max_fails=1 fail_timeout=60s;
    }
    server {
        listen 127.0.0.1:%(pn)d;
        location / {
            proxy_pass http://jiayuan;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 1h;
            # a node that is down refuses the connection: nothing reached it, so even a POST
            # may go to the other node
            proxy_next_upstream error timeout non_idempotent;
        }
    }
}
"""

if __name__ == "__main__":
    main()
