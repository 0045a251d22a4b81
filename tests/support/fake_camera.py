#!/usr/bin/python3
"""tests/support/fake_camera.py - fake RTSP cameras for the live-video tests (issue 9).

A real RTSP server (GStreamer's GstRtspServer through Debian's python3-gi, run with
/usr/bin/python3) serving a live test picture on 127.0.0.1. Each mount is one camera:

  H.264:  videotestsrc is-live=true ! video/x-raw,format=I420,width=W,height=H,framerate=F/1
          ! x264enc tune=zerolatency key-int-max=GOP option-string=scenecut=0
          ! rtph264pay name=pay0 pt=96
  H.265:  ... ! x265enc tune=zerolatency key-int-max=GOP option-string=scenecut=0
          ! rtph265pay name=pay0 pt=96
          (only when x265enc exists: Debian's gstreamer1.0-plugins-bad has it)

scenecut=0 keeps the keyframe interval exactly GOP frames (default 25 = 1 s at 25 fps):
without it the noise block of the default SMPTE pattern makes x264 insert a keyframe
every 10 frames, which would flatter every time-to-first-frame figure.

Media are shared: every RTSP session on one mount reads the one encoder, like a real camera,
so 50 sessions on one mount cost one encode. Like a real camera the source cannot seek:
otherwise GstRtspServer answers each PLAY's "Range: npt=0-" with a flushing seek of the
shared pipeline, which hands the newcomer a keyframe at once (flattering time-to-first-
frame) and makes the RTP timestamps of every other reader jump back (--seekable keeps
that behaviour). The encoder of an idle mount starts at the first DESCRIBE, so its first
keyframe goes out before that reader's PLAY: the reader waits for the next one (<= GOP).

  fake_camera.py [--port N] [--mount PATH[:h264[:PROFILE]|:h265]]... [--user U --password P
                 [--auth basic|digest]] [--size WxH] [--fps F] [--gop N]
                 [--pattern NAME] [--profile P] [--status-port N]
                 [--session-timeout S] [--seekable] [--codecs]

  --port 0        picks a free port (the ready line says which)
  --mount         repeatable; default "cam1". "cam2:h265" serves H.265 on /cam2,
                  "cam3:h264:high" H.264 High profile on /cam3.
  --user/--password
                  every mount then needs RTSP authentication (basic by default)
  --status-port   also serve GET http://127.0.0.1:N/ -> JSON counters (see status())
                  so a test can count the RTSP sessions the gateway holds open; 0 picks
                  a free port, and the ready line then ends with " status=http://…/".
                  "clients" is open RTSP connections, "sessions" open RTSP sessions (a
                  session ends with its connection, TEARDOWN or not, or after
                  --session-timeout seconds, default 10, without a keep-alive)
  --profile       H.264 mounts without a profile of their own: force baseline|main|high
                  with a caps filter after x264enc (ffprobe then says Constrained
                  Baseline, Main, High); without it x264enc negotiates Constrained
                  Baseline (avc1.42C01E at 640x360)
  --codecs        print which encoders exist ("h264 yes", "h265 no") and exit

Once serving it prints exactly one line (then flushes):
  fake-camera ready rtsp://127.0.0.1:PORT/cam1 rtsp://127.0.0.1:PORT/cam2 ...
(with "user:password@", percent-encoded, in each URL when --user is given), and afterwards one line per
event: "fake-camera client-connected", "fake-camera client-closed", "fake-camera describe
/cam1", "fake-camera play /cam1". SIGTERM or SIGINT stops it with exit status 0; a
camera that "dies and comes back" is this process killed and started again on the same
port. Exit status 2: bad arguments or an encoder that is not installed.
"""
import argparse
import json
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ENCODERS = {
    "h264": ("x264enc", "x264enc tune=zerolatency key-int-max={gop} option-string=scenecut=0 ! rtph264pay name=pay0 pt=96"),
    "h265": ("x265enc", "x265enc tune=zerolatency key-int-max={gop} option-string=scenecut=0 ! rtph265pay name=pay0 pt=96"),
}

PATTERNS = ("smpte", "ball", "snow", "gradient", "pinwheel", "colors")

_lock = threading.Lock()
_counts = {"clients": 0, "clients_total": 0, "describe": {}, "play": {},
           "seeks_refused": 0}


def say(*words):
    print("fake-camera", *words, flush=True)


def have(element):
    return Gst.ElementFactory.find(element) is not None


def bump(kind, path):
    with _lock:
        _counts[kind][path] = _counts[kind].get(path, 0) + 1


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fake_camera.py", description="fake RTSP cameras")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8554)
    p.add_argument("--mount", action="append", default=[])
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--auth", choices=("basic", "digest"), default="basic")
    p.add_argument("--size", default="640x360")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--gop", type=int, default=25, help="key-int-max in frames (25 = 1 s at 25 fps)")
    p.add_argument("--pattern", choices=PATTERNS, default="smpte")
    p.add_argument("--profile", help="H.264 profile forced with caps after x264enc "
                   "(baseline, main, high) for every H.264 mount without its own; default: x264enc's "
                   "choice (Constrained Baseline)")
    p.add_argument("--status-port", type=int)
    p.add_argument("--session-timeout", type=int, default=10,
                   help="seconds before a session without keep-alive is dropped (RTSP default 60)")
    p.add_argument("--seekable", action="store_true",
                   help="keep GstRtspServer's default: every PLAY restarts the shared encoder "
                   "(a keyframe at once for the newcomer, timestamps jump for the others)")
    p.add_argument("--codecs", action="store_true")
    a = p.parse_args(argv)
    if (a.user is None) != (a.password is None):
        p.error("--user and --password go together")
    try:
        w, h = (int(x) for x in a.size.lower().split("x"))
    except ValueError:
        p.error("--size must be WxH")
    a.width, a.height = w, h
    mounts = []
    for m in a.mount or ["cam1"]:
        path, _, rest = m.partition(":")
        codec, _, profile = rest.partition(":")
        path = "/" + path.strip("/")
        codec = codec or "h264"
        profile = profile or (a.profile if codec == "h264" else "")
        if codec not in ENCODERS or path == "/" or (profile and codec != "h264"):
            p.error("bad --mount %r (PATH, PATH:h264[:PROFILE] or PATH:h265)" % m)
        if path in (x[0] for x in mounts):
            p.error("--mount %s given twice" % path)
        mounts.append((path, codec, profile))
    a.mounts = mounts
    return a


def launch_line(a, codec, profile):
    caps = "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1" % (a.width, a.height, a.fps)
    enc = ENCODERS[codec][1].format(gop=a.gop)
    if profile:
        enc = enc.replace(" ! rtph264pay", " ! video/x-h264,profile=%s ! rtph264pay" % profile)
    return "( videotestsrc name=src is-live=true pattern=%s ! %s ! %s )" % (a.pattern, caps, enc)


def status(server):
    """JSON counters: open RTSP sessions (server-wide), connected clients, DESCRIBE and
    PLAY requests per mount since start."""
    with _lock:
        out = json.loads(json.dumps(_counts))
    out["sessions"] = server.get_session_pool().get_n_sessions()
    return out


def serve_status(port, host, server):
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(status(server)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer((host, port), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def live_only(_pad, info):
    """A real camera cannot seek. videotestsrc can, so GstRtspServer would honour the
    "Range: npt=0-" of every PLAY with a flushing seek of the shared pipeline: the encoder
    restarts (a keyframe for the newcomer) and the RTP timestamps of every other reader
    jump back. Answer the SEEKING query "no" (GstRtspServer then ignores the range) and
    drop any seek that still arrives."""
    if info.type & Gst.PadProbeType.QUERY_UPSTREAM:
        q = info.get_query()
        if q.type == Gst.QueryType.SEEKING:
            # A fresh SEEKING query already says "not seekable"; PyGObject hands the probe
            # a non-writable reference, so answer it as it is.
            return Gst.PadProbeReturn.HANDLED
        return Gst.PadProbeReturn.OK
    ev = info.get_event()
    if ev is not None and ev.type == Gst.EventType.SEEK:
        with _lock:
            _counts["seeks_refused"] += 1
        return Gst.PadProbeReturn.DROP
    return Gst.PadProbeReturn.OK


def on_media_configure(_factory, media):
    src = media.get_element().get_by_name("src").get_static_pad("src")
    src.add_probe(Gst.PadProbeType.QUERY_UPSTREAM | Gst.PadProbeType.EVENT_UPSTREAM, live_only)


def new_session(_client, sess, session_timeout, sessions):
    sess.set_timeout(session_timeout)
    sessions.append(sess)


def on_client(server, client, session_timeout):
    with _lock:
        _counts["clients"] += 1
        _counts["clients_total"] += 1
    say("client-connected")

    sessions = []

    def closed(_c):
        # gst-rtsp-server 1.22 keeps a TCP session whose connection dropped without
        # TEARDOWN for about a minute (it is never "expired" while the connection's
        # hold is on it); a real camera forgets it at once, so do that here.
        pool = server.get_session_pool()
        for sess in sessions:
            pool.remove(sess)
        sessions.clear()
        with _lock:
            _counts["clients"] -= 1
        say("client-closed")

    def req(kind):
        def cb(_c, ctx):
            path = ctx.uri.abspath if ctx.uri is not None else "?"
            bump(kind, path)
            say(kind, path)
        return cb

    client.connect("closed", closed)
    client.connect("new-session", new_session, session_timeout, sessions)
    client.connect("describe-request", req("describe"))
    client.connect("play-request", req("play"))


def main(argv):
    a = parse_args(argv)
    Gst.init(None)
    if a.codecs:
        for codec, (element, _) in ENCODERS.items():
            print(codec, "yes" if have(element) else "no (%s missing)" % element)
        return 0
    for path, codec, _ in a.mounts:
        element = ENCODERS[codec][0]
        if not have(element):
            print("fake_camera.py: %s needs %s, which is not installed" % (path, element),
                  file=sys.stderr)
            return 2

    server = GstRtspServer.RTSPServer()
    server.set_address(a.host)
    server.set_service(str(a.port))
    mounts = server.get_mount_points()

    if a.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", a.user)
        if a.auth == "digest":
            auth.add_digest(a.user, a.password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        server.set_auth(auth)

    for path, codec, profile in a.mounts:
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch(launch_line(a, codec, profile))
        f.set_shared(True)
        if a.user is not None:
            f.add_role_from_structure(Gst.Structure.from_string(
                "%s, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
                % a.user)[0])
        if not a.seekable:
            f.connect("media-configure", on_media_configure)
        mounts.add_factory(path, f)

    server.connect("client-connected", on_client, a.session_timeout)
    try:
        server.attach(None)
    except GLib.Error as e:
        print("fake_camera.py: cannot listen on %s:%d: %s" % (a.host, a.port, e.message),
              file=sys.stderr)
        return 1
    port = server.get_bound_port()
    if port < 0:
        print("fake_camera.py: cannot listen on %s:%d" % (a.host, a.port), file=sys.stderr)
        return 1

    httpd = serve_status(a.status_port, a.host, server) if a.status_port is not None else None

    # Drop expired sessions (clients that vanished without TEARDOWN) every 2 s.
    def cleanup():
        server.get_session_pool().cleanup()
        return True

    GLib.timeout_add_seconds(2, cleanup)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)

    q = lambda x: urllib.parse.quote(x, safe="")  # noqa: E731
    cred = "%s:%s@" % (q(a.user), q(a.password)) if a.user is not None else ""
    urls = ["rtsp://%s%s:%d%s" % (cred, a.host, port, path) for path, _, _ in a.mounts]
    extra = "" if httpd is None else " status=http://%s:%d/" % (a.host, httpd.server_address[1])
    print("fake-camera ready " + " ".join(urls) + extra, flush=True)
    loop.run()
    if httpd is not None:
        httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
