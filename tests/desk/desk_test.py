#!/usr/bin/env python3
"""The desk page in a real browser (ctest label `desk`).

Starts mosquitto (password file and ACL), two kazasud stations with simulated readers,
one kazasu-desk per station and headless chromium through chromedriver (selenium), then:

  sequence     the demo's scripted sequence (scripts/lib/kazasu_city.py): every tap's MQTT
               message arrives and the page shows it (library patron, relink hint, PIN
               locked; clock in and out and the roster; election match, the confirm button
               and its reply, the reception; the hall's already_received hard stop; points
               award, project progress and a donation from the page's button)
  print        the print view (@media print) holds only the declaration, with every field
               and the six reasons (checked inside the sequence; PNG and PDF kept)
  language     the English toggle relabels the page and the plugins' hints
  disaster     the attendance roll-call appears when a disaster is declared from the page
  broker       the connection-lost banner appears when the bridge's broker dies, goes when
               it returns, and taps arrive again
  bridge       the banner appears when kazasu-desk dies and goes when it is back
  frames       bad frames from a browser are refused with their codes (malformed JSON, too
               deep, too large, bad names, a flood of commands is rate limited)
  lan          off loopback the desk refuses to start without TLS and a password; with them
               the page needs the password (401, then 200 and a session cookie)

Screenshots (PNG) and the declaration as PDF go to --screenshots (the build dir's
tests/desk/screenshots). With KAZASU_README_IMAGE=1 the desk screenshot is also copied to
docs/images/desk.png, the README's first screen.

Exit 0 on success, 1 on a failure, 77 when chromium, chromedriver or selenium is missing.
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import kazasu_city as kc  # noqa: E402


def check_language(city: kc.City) -> None:
    b = city.browser.tab("central-library")
    b.click("#lang-toggle")
    b.wait_js("return document.documentElement.lang === 'en';", "lang=en")
    b.wait_text("#library-h", "Library")
    b.wait_text("#election-confirm", "receive")
    # what was already shown is drawn again in English
    b.wait_text("#library-card", "Patron P0001", kind="ok")
    b.wait_text("#election-counts", "early")
    b.screenshot("desk-english")
    b.click("#lang-toggle")
    b.wait_js("return document.documentElement.lang === 'ja';", "lang=ja")
    b.wait_text("#library-h", "図書館")


def check_disaster(city: kc.City) -> None:
    b = city.browser.tab("central-library")
    n = city.sub.count()
    b.fill("#attendance-disaster-name", "豪雨 (heavy rain)")
    b.click("#attendance-disaster-btn")
    b.wait_text("#attendance-disaster-out", "✓", kind="warn")
    city.expect("central-library", "attendance/rollcall", n)
    b.wait_js("return !document.getElementById('attendance-rollcall').hidden;", "the roll-call")
    b.wait_text("#attendance-rollcall", kc.STAFF, "豪雨")
    b.screenshot("desk-rollcall")
    b.click("#attendance-disaster-btn")
    b.wait_text("#attendance-disaster-out", "✓", kind="ok")


def banner_state(b: kc.Browser) -> tuple:
    return b.js("const e = document.getElementById('banner'); return [e.hidden, e.dataset.reason || ''];")


def check_broker_loss(city: kc.City) -> None:
    b = city.browser.tab("central-library")
    city.stop_broker()
    b.wait_js("const e = document.getElementById('banner'); return !e.hidden && e.dataset.reason === 'broker';",
              "the broker-lost banner", timeout=20)
    b.wait_text("#link-state", "切断")
    b.screenshot("desk-broker-lost")
    city.start_broker()
    b.wait_js("return document.getElementById('banner').hidden;", "the banner to go", timeout=30)
    # The stations reconnect too; a tap arrives on the page again.
    city.sub = kc.Subscriber(city.procs, city.port, "demo-viewer", city.passwords["demo-viewer"],
                             city.run / "received-after.tsv", False)
    kc.wait_until(lambda: city.sub.count() > 0, 30, "the retained messages after the broker's return")
    deadline = time.monotonic() + 30
    while True:
        n = city.sub.count()
        city.tap("central-library", "reception", "renewed")
        try:
            city.expect("central-library", "election/unknown_card", n, timeout=5)
            break
        except kc.Failure:
            # the tap went to the outbox while kazasud was still reconnecting; it arrives later
            if time.monotonic() > deadline:
                raise
    b.wait_text("#election-card", kind="warn")


def check_bridge_loss(city: kc.City) -> None:
    b = city.browser.tab("central-library")
    url = city.desks["central-library"]
    port = int(url.rsplit(":", 1)[1].strip("/"))
    city.procs.stop(city.desk_procs["central-library"])
    b.wait_js("const e = document.getElementById('banner'); return !e.hidden && e.dataset.reason === 'bridge';",
              "the bridge-lost banner", timeout=10)
    b.screenshot("desk-bridge-lost")
    city.start_desk("central-library", port)
    b.wait_js("return document.getElementById('banner').hidden;", "the banner to go", timeout=20)
    b.wait_js("return document.getElementById('link-state').dataset.state === 'up';", "the link", timeout=10)


FRAMES_JS = """
const done = arguments[arguments.length - 1];
const ws = new WebSocket(`ws://${location.host}/ws`);
const got = [];
ws.onmessage = (e) => { const f = JSON.parse(e.data); if (f.type === 'error' || f.type === 'reply') got.push(f); };
ws.onopen = () => {
  ws.send('{not json');
  ws.send('[' .repeat(40) + ']'.repeat(40));
  ws.send(JSON.stringify({type: 'cmd', id: 'n1', plugin: 'Library!', command: 'stats', payload: {}}));
  ws.send(JSON.stringify({type: 'cmd', id: 'n2', plugin: 'library', command: 'stats', payload: [1]}));
  ws.send(JSON.stringify({type: 'nope', id: 'n3'}));
  for (let i = 0; i < 30; i++) ws.send(JSON.stringify({type: 'cmd', id: `f${i}`, plugin: 'library', command: 'stats', payload: {}}));
  setTimeout(() => ws.send(JSON.stringify({type: 'cmd', id: 'big', plugin: 'library', command: 'stats',
                                             payload: {x: 'y'.repeat(70000)}})), 2000);
  setTimeout(() => { const closed = ws.readyState; ws.close(); done({got, closed}); }, 3500);
};
ws.onerror = () => done({got, error: true});
"""


def check_frames(city: kc.City) -> None:
    b = city.browser.tab("central-library")
    b.driver.set_script_timeout(20)
    result = b.driver.execute_async_script(FRAMES_JS)
    codes = [f.get("code") for f in result["got"] if f["type"] == "error"]
    replies = [f for f in result["got"] if f["type"] == "reply"]
    for code in ("malformed_json", "too_deep", "invalid_plugin", "payload_not_an_object", "unknown_type", "rate_limited"):
        if code not in codes:
            raise kc.Failure(f"the bridge did not answer {code}: {codes}")
    if not replies or not all(r["payload"].get("ok") for r in replies):
        raise kc.Failure(f"the commands within the rate got no good replies: {replies[:2]}")
    if len(replies) > 10:
        raise kc.Failure(f"{len(replies)} commands passed the rate limit of 10 at once")
    # The oversized frame closes that WebSocket (Beast's read_message_max); the page's own is unharmed.
    if result.get("closed") == 1:
        raise kc.Failure("a 70 kB frame did not close the connection")
    b.wait_js("return document.getElementById('link-state').dataset.state === 'up';", "the page's own link")


def check_lan(city: kc.City, work: pathlib.Path) -> None:
    desk = city.bin("tools", "desk", "kazasu-desk")
    web = str(kc.ROOT / "tools" / "desk" / "web")
    common = ["--site", kc.SITE, "--station", "central-library", "--broker", f"tcp://127.0.0.1:{city.port}", "--web", web]
    out = subprocess.run([desk, *common, "--listen", "0.0.0.0:0"], capture_output=True, text=True, timeout=10)
    if out.returncode != 2 or "needs --tls-cert" not in out.stderr:
        raise kc.Failure(f"off loopback without TLS the desk did not refuse: {out.returncode} {out.stderr!r}")
    certs = work / "certs"
    subprocess.run(["bash", str(kc.ROOT / "tests" / "fixtures" / "tls" / "make-certs.sh"), str(certs)], check=True,
                   capture_output=True, timeout=60)
    pw = work / "desk.password"
    pw.write_text("correct horse battery\n")
    os.chmod(pw, 0o644)
    out = subprocess.run([desk, *common, "--listen", "0.0.0.0:0", "--tls-cert", str(certs / "server.crt"),
                          "--tls-key", str(certs / "server.key"), "--password-file", str(pw)],
                         capture_output=True, text=True, timeout=10)
    if out.returncode != 2 or "owner only" not in out.stderr:
        raise kc.Failure(f"a world-readable password file was accepted: {out.returncode} {out.stderr!r}")
    os.chmod(pw, 0o600)
    # TLS and a password on loopback, so the test reaches it: the same code as on the LAN.
    log = work / "desk-tls.out"
    creds = city.run / "central-library" / "desk-credentials.toml"
    proc = city.procs.start("kazasu-desk tls", [desk, *common, "--credentials", str(creds), "--listen", "127.0.0.1:0",
                                                "--tls-cert",
                                                str(certs / "server.crt"), "--tls-key", str(certs / "server.key"),
                                                "--password-file", str(pw)], stdout=open(log, "wb"),
                            stderr=open(work / "desk-tls.log", "wb"))
    url = kc.wait_until(lambda: (log.read_text().split("serving ", 1) + [""])[1].split(" ", 1)[0] or None, 10,
                        "the TLS desk")
    kc.wait_until(lambda: "connected to" in (work / "desk-tls.log").read_text(), 10, "the TLS desk's broker link")
    if not url.startswith("https://"):
        raise kc.Failure(f"the TLS desk serves {url}")
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    try:
        urllib.request.urlopen(url, context=context, timeout=5)
        raise kc.Failure("the page was served without the password")
    except urllib.error.HTTPError as e:
        if e.code != 401 or "Basic" not in e.headers.get("WWW-Authenticate", ""):
            raise kc.Failure(f"without the password: {e.code}") from None
    wrong = urllib.request.Request(url, headers={"Authorization": "Basic " + base64.b64encode(b"staff:wrong").decode()})
    try:
        urllib.request.urlopen(wrong, context=context, timeout=5)
        raise kc.Failure("a wrong password was accepted")
    except urllib.error.HTTPError as e:
        if e.code != 401:
            raise kc.Failure(f"a wrong password: {e.code}") from None
    good = urllib.request.Request(url, headers={"Authorization": "Basic " +
                                                base64.b64encode(b"staff:correct horse battery").decode()})
    with urllib.request.urlopen(good, context=context, timeout=5) as response:
        body = response.read().decode()
        cookie = response.headers.get("Set-Cookie", "")
        csp = response.headers.get("Content-Security-Policy", "")
    if "desk.js" not in body or "HttpOnly" not in cookie or "Secure" not in cookie or "default-src 'self'" not in csp:
        raise kc.Failure(f"with the password: cookie {cookie!r}, CSP {csp!r}")
    session = cookie.split(";", 1)[0]
    with urllib.request.urlopen(urllib.request.Request(url + "desk.css", headers={"Cookie": session}),
                                context=context, timeout=5) as response:
        if response.status != 200:
            raise kc.Failure("the session cookie was not accepted")
    # The WebSocket over TLS with the session cookie: the bridge's hello, a command and its
    # reply, then a close, twice (a session that ends must leave the desk serving).
    host = url.split("//", 1)[1].strip("/")
    for attempt in range(2):
        frames = tls_websocket(host, context, session, {"type": "cmd", "id": f"t{attempt}", "plugin": "library",
                                                         "command": "stats", "payload": {}})
        if not frames or frames[0].get("type") != "bridge" or frames[0].get("broker") != "up":
            raise kc.Failure(f"the TLS WebSocket's first frame: {frames[:1]}")
        replies = [f for f in frames if f.get("type") == "reply" and f.get("id") == f"t{attempt}"]
        if not replies or not replies[0]["payload"].get("ok"):
            raise kc.Failure(f"no reply over the TLS WebSocket: {frames}")
    if proc.poll() is not None:
        raise kc.Failure("the TLS desk died after a WebSocket session")
    city.procs.stop(proc)


def tls_websocket(host: str, context: ssl.SSLContext, cookie: str, command: dict) -> list:
    """A minimal WebSocket client (RFC 6455) over TLS: handshake, one masked text frame,
    then the frames that arrive within two seconds."""
    import socket as socketlib
    import struct
    hostname, port = host.rsplit(":", 1)
    raw = socketlib.create_connection((hostname, int(port)), timeout=5)
    sock = context.wrap_socket(raw, server_hostname=hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{host}\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise kc.Failure("the TLS WebSocket handshake was cut")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise kc.Failure(f"the TLS WebSocket handshake: {head[:80]!r}")
    payload = json.dumps(command).encode()
    mask = os.urandom(4)
    header = bytes([0x81]) + (bytes([0x80 | len(payload)]) if len(payload) < 126 else
                              bytes([0x80 | 126]) + struct.pack("!H", len(payload)))
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    frames, buffer = [], rest
    deadline = time.monotonic() + 2
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
        except (TimeoutError, socketlib.timeout):
            pass
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, offset = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < offset + length:
                break
            if buffer[0] & 0x0F == 1:
                frames.append(json.loads(buffer[offset:offset + length]))
            buffer = buffer[offset + length:]
    close = bytes([0x88, 0x80]) + os.urandom(4)
    try:
        sock.sendall(close)
        sock.close()
    except OSError:
        pass
    return frames


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, type=pathlib.Path)
    parser.add_argument("--screenshots", type=pathlib.Path)
    parser.add_argument("--only", help="comma-separated checks after the sequence")
    args = parser.parse_args()
    why = kc.browser_available()
    if why:
        print(f"SKIP: {why}")
        return 77
    build = args.build.resolve()
    shots = (args.screenshots or build / "tests" / "desk" / "screenshots").resolve()
    shots.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="desk-test-", dir=build / "tests" / "desk"))
    city = kc.City(build, work / "city", readers="sim", shots=shots, log=print)
    started = time.monotonic()
    checks = [("language", check_language), ("disaster", check_disaster), ("frames", check_frames),
              ("broker", check_broker_loss), ("bridge", check_bridge_loss), ("lan", lambda c: check_lan(c, work))]
    if args.only:
        wanted = set(args.only.split(","))
        checks = [c for c in checks if c[0] in wanted]
    try:
        city.start()
        city.open_browser()
        city.sequence()
        print(f"ok: sequence and print view ({city.found} messages, {time.monotonic() - started:.1f} s)", flush=True)
        for name, check in checks:
            t0 = time.monotonic()
            check(city)
            print(f"ok: {name} ({time.monotonic() - t0:.1f} s)", flush=True)
        if os.environ.get("KAZASU_README_IMAGE") == "1":
            (kc.ROOT / "docs" / "images").mkdir(exist_ok=True)
            shutil.copyfile(shots / "desk.png", kc.ROOT / "docs" / "images" / "desk.png")
            print("copied desk.png to docs/images/desk.png")
        print(f"PASS in {time.monotonic() - started:.1f} s; screenshots in {shots}")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    except kc.Skip as e:
        print(f"SKIP: {e}")
        return 77
    except Exception as e:  # noqa: BLE001 - report every failure with the logs' place
        print(f"FAIL: {type(e).__name__}: {e}\n(logs in {work / 'city'})", flush=True)
        if city.browser:
            try:
                city.browser.screenshot("failure")
                print(f"screenshot: {shots / 'failure.png'}")
            except Exception:  # noqa: BLE001
                pass
        return 1
    finally:
        city.stop()


if __name__ == "__main__":
    sys.exit(main())
