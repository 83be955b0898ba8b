#!/usr/bin/env python3
"""A small city on one machine, for scripts/demo and the desk tests (tests/desk).

Starts a mosquitto broker with a password file and an ACL (every station and every desk
has its own login), two kazasud stations of demo-city (central-library from
config/demo.toml, and the polling station "hall" derived from it) sharing the embedded
shared state, one kazasu-desk per station, and a headless chromium (selenium) that
opens the desk pages. Then it runs the scripted sequence: link a patron at the counter
and tap; a renewed card and a locked PIN; clock a member of staff in and out; open an
election, tap, confirm, tap again at the hall and be refused; award points and donate
them. Every step waits for its MQTT message and for the page to show it.

Cards: with readers="pcsc" (the demo) the counter and the wall are pcscd + vpcd readers
and the cards are kazasu-cardsim processes (a resident, her renewed card, a staff badge,
a card with a locked PIN); with readers="sim" (most tests) every reader is simulated.
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import show_messages  # noqa: E402

SITE = "demo-city"
STATIONS = ("central-library", "hall")
ELECTION = "demo-2027"
VOTER = "V0001"
PATRON = "P0001"
STAFF = "S001"
PIN = "1234"
# Debian's vpcd gives two slots (/etc/reader.conf.d/vpcd): 0x8C7B and the next port.
VPCD = {"counter": ("Virtual PCD 00 00", 35963), "wall": ("Virtual PCD 00 01", 35964)}


class Skip(Exception):
    """The environment cannot run this (no chromium, no pcscd): the test skips."""


class Failure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---- the browser -------------------------------------------------------------------

def browser_available() -> str | None:
    """None when chromium, chromedriver and selenium are here; otherwise why not."""
    for binary in ("chromium", "chromedriver"):
        if shutil.which(binary) is None:
            return f"{binary} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed"
    return None


class Browser:
    """Headless chromium through chromedriver; one tab per desk page."""

    def __init__(self, work: pathlib.Path, shots: pathlib.Path, width: int = 1440, height: int = 1500):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)
        (shots / "failure.png").unlink(missing_ok=True)  # from an earlier run
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for arg in ("--headless=new", f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
                    "--autoplay-policy=no-user-gesture-required", "--lang=ja", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1"):
            options.add_argument(arg)
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")  # chromium refuses to run its sandbox as root
        service = Service(executable_path=shutil.which("chromedriver"), log_output=str(work / "chromedriver.log")) \
            if "log_output" in Service.__init__.__code__.co_varnames else \
            Service(executable_path=shutil.which("chromedriver"), log_path=str(work / "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        self.tabs: dict[str, str] = {}

    def open(self, name: str, url: str) -> None:
        if self.tabs:
            self.driver.switch_to.new_window("tab")
        self.driver.get(url)
        self.tabs[name] = self.driver.current_window_handle

    def tab(self, name: str) -> "Browser":
        if self.driver.current_window_handle != self.tabs[name]:
            self.driver.switch_to.window(self.tabs[name])
        return self

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def text(self, css: str) -> str:
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css) or ""

    def attr(self, css: str, name: str) -> str | None:
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
                       css, name)

    def wait_text(self, css: str, *needles: str, timeout: float = 15, kind: str | None = None) -> str:
        def check():
            text = self.text(css)
            if all(n in text for n in needles) and (kind is None or self.attr(css, "data-kind") == kind):
                return text or True
            return None
        try:
            return wait_until(check, timeout, f"{css} to show {needles}" + (f" as {kind}" if kind else ""))
        except Failure as e:
            raise Failure(f"{e}; it shows {self.text(css)!r} (data-kind={self.attr(css, 'data-kind')})") from None

    def wait_js(self, script: str, what: str, timeout: float = 15):
        return wait_until(lambda: self.js(script), timeout, what)

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By
        self.wait_js(f"const e = document.querySelector({json.dumps(css)}); return e && !e.disabled && e.offsetParent !== null;",
                     f"{css} to be enabled and visible")
        element = self.driver.find_element(By.CSS_SELECTOR, css)
        self.js("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def fill(self, css: str, value: str) -> None:
        from selenium.webdriver.common.by import By
        element = self.driver.find_element(By.CSS_SELECTOR, css)
        if element.tag_name == "select":
            self.js("arguments[0].value = arguments[1];", element, value)
            return
        element.clear()
        element.send_keys(value)

    def command(self, plugin: str, command: str, payload: dict, expect: str = "✓") -> str:
        """Sends a command through the page's command form and waits for its reply."""
        self.js("document.getElementById('tools').open = true; document.getElementById('cmd-out').textContent = '';")
        self.fill("#cmd-plugin", plugin)
        self.fill("#cmd-name", command)
        self.js("document.getElementById('cmd-payload').value = arguments[0];", json.dumps(payload, ensure_ascii=False))
        self.click("#cmd-send")
        out = self.wait_text("#cmd-out", timeout=20)
        self.wait_js("return !document.getElementById('cmd-out').textContent.startsWith('送信中') && "
                     "!document.getElementById('cmd-out').textContent.startsWith('Sending');", "the reply")
        out = self.text("#cmd-out")
        if expect not in out:
            raise Failure(f"{plugin}/cmd/{command} answered {out!r}")
        self.js("document.getElementById('tools').open = false;")
        return out

    def screenshot(self, name: str) -> pathlib.Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def print_view(self, name: str) -> dict:
        """Emulates print media; returns what the print view shows and saves it as PNG and PDF."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            self.js("window.scrollTo(0, 0);")
            shown = self.js("""
                const d = document.getElementById('declaration');
                const others = [...document.body.children].filter(e => e !== d && getComputedStyle(e).display !== 'none');
                return {visible: getComputedStyle(d).display !== 'none', text: d.innerText,
                        others: others.map(e => e.id || e.tagName),
                        reasons: [...document.querySelectorAll('#decl-reasons li')].map(li => li.dataset.code)};""")
            self.screenshot(name)
            pdf = self.driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
            (self.shots / f"{name}.pdf").write_bytes(base64.b64decode(pdf["data"]))
            return shown
        finally:
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    def close(self) -> None:
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - closing what may already be gone
            pass
        shutil.rmtree(self.profile, ignore_errors=True)


# ---- processes -----------------------------------------------------------------------

class Processes:
    """Children this run started, stopped in reverse order (each by its own pid)."""

    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], log: pathlib.Path | None = None, **kw) -> subprocess.Popen:
        out = open(log, "ab") if log else subprocess.DEVNULL
        proc = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=kw.pop("stderr", out),
                                stdin=subprocess.DEVNULL, **kw)
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 5) -> None:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for _, proc in reversed(self.children):
            self.stop(proc)
        self.children.clear()


class Subscriber:
    """mosquitto_sub on kazasu/v1/#: every message, kept and (optionally) printed."""

    def __init__(self, procs: Processes, port: int, user: str, password: str, tsv: pathlib.Path, show: bool):
        self.messages: list[tuple[str, bool, dict]] = []
        self.lock = threading.Lock()
        self.show = show
        self.tsv = open(tsv, "w", encoding="utf-8")
        self.proc = procs.start("mosquitto_sub", [
            "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv5", "-u", user, "-P", password,
            "-t", "kazasu/v1/#", "-F", "%t\t%r\t%p"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not line:
                continue
            self.tsv.write(line + "\n")
            self.tsv.flush()
            try:
                topic, retained, payload = line.split("\t", 2)
                msg = json.loads(payload)
            except ValueError:
                continue
            with self.lock:
                self.messages.append((topic, retained == "1", msg))
            if self.show:
                print(f"  ▶ {topic}{' [retained]' if retained == '1' else ''}\n    {show_messages.summary(topic, msg).replace(chr(10), ' ')[:300]}",
                      flush=True)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def wait(self, station: str, tail: str, since: int, timeout: float = 20, **fields) -> dict:
        topic = f"kazasu/v1/{SITE}/{station}/{tail}"

        def find():
            with self.lock:
                for t, _, m in self.messages[since:]:
                    if t == topic and all(m.get(k) == v for k, v in fields.items()):
                        return m
            return None
        return wait_until(find, timeout, f"{topic} {fields or ''}")


# ---- the city ----------------------------------------------------------------------------

def toml_sections(text: str) -> list[tuple[str, str]]:
    """(header, text) per table of a TOML file; the header of the preamble is ''."""
    sections: list[tuple[str, str]] = [("", "")]
    for line in text.splitlines(keepends=True):
        m = re.match(r"^\[([^\]]+)\]\s*$", line)
        if m:
            sections.append((m.group(1), line))
        else:
            header, body = sections[-1]
            sections[-1] = (header, body + line)
    return sections


class City:
    def __init__(self, build: pathlib.Path, run: pathlib.Path, readers: str = "pcsc", show: bool = False,
                 shots: pathlib.Path | None = None, log=print):
        self.build = build.resolve()
        self.run = run.resolve()
        self.readers = readers
        self.show = show
        self.log = log
        self.shots = shots or run / "screenshots"
        self.procs = Processes()
        self.browser: Browser | None = None
        self.desks: dict[str, str] = {}
        self.desk_procs: dict[str, subprocess.Popen] = {}
        self.daemons: dict[str, subprocess.Popen] = {}
        self.cards: dict[str, pathlib.Path] = {}
        self.sub: Subscriber | None = None
        self.passwords: dict[str, str] = {}
        self.broker: subprocess.Popen | None = None
        self.port = 0
        self.pcscd: subprocess.Popen | None = None
        self.found = 0  # expected messages seen

    # -- helpers
    def bin(self, *parts: str) -> str:
        return str(self.build.joinpath(*parts))

    def ctl(self, station: str, *args: str) -> str:
        out = subprocess.run([self.bin("tools", "kazasuctl", "kazasuctl"), "--config",
                              str(self.run / station / "kazasud.toml"), *args],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise Failure(f"kazasuctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout.strip()

    def step(self, text: str) -> None:
        self.log(f"\n== {text}")

    def expect(self, station: str, tail: str, since: int, timeout: float = 20, **fields) -> dict:
        msg = self.sub.wait(station, tail, since, timeout, **fields)
        self.found += 1
        return msg

    # -- setup
    def start(self) -> None:
        if self.run.exists():
            shutil.rmtree(self.run)
        self.run.mkdir(parents=True)
        self._broker()
        self.sub = Subscriber(self.procs, self.port, "demo-viewer", self.passwords["demo-viewer"],
                              self.run / "received.tsv", self.show)
        if self.readers == "pcsc":
            self._cards()
            self._pcscd()
        self._stations()
        self._desks()

    def _broker(self) -> None:
        self.port = free_port()
        users = [f"station-{s}" for s in STATIONS] + [f"desk-{s}" for s in STATIONS] + ["demo-viewer"]
        pwfile = self.run / "mosquitto.passwd"
        for i, user in enumerate(users):
            password = base64.b32encode(os.urandom(10)).decode().lower()
            self.passwords[user] = password
            subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) + [str(pwfile), user, password],
                           check=True, capture_output=True)
        acl = [f"# demo-city: each station writes under its own prefix and reads its commands;\n"
               f"# each desk reads its station and sends commands there; the viewer reads.\n"]
        for s in STATIONS:
            acl.append(f"user station-{s}\ntopic write kazasu/v1/{SITE}/{s}/#\ntopic read kazasu/v1/{SITE}/{s}/+/cmd/#\n")
            acl.append(f"user desk-{s}\ntopic read kazasu/v1/{SITE}/{s}/#\ntopic write kazasu/v1/{SITE}/{s}/+/cmd/#\n")
        acl.append(f"user demo-viewer\ntopic read kazasu/v1/{SITE}/#\n")
        (self.run / "mosquitto.acl").write_text("\n".join(acl))
        os.chmod(pwfile, 0o600)
        import pwd
        conf = (f"listener {self.port} 127.0.0.1\nallow_anonymous false\npassword_file {pwfile}\n"
                f"acl_file {self.run / 'mosquitto.acl'}\npersistence false\nset_tcp_nodelay true\n"
                f"user {pwd.getpwuid(os.geteuid()).pw_name}\n")
        (self.run / "mosquitto.conf").write_text(conf)
        self.start_broker()

    def start_broker(self) -> None:
        self.broker = self.procs.start("mosquitto", ["mosquitto", "-c", str(self.run / "mosquitto.conf")],
                                       self.run / "mosquitto.log")

        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False
        wait_until(listening, 10, "mosquitto to listen")

    def stop_broker(self) -> None:
        self.procs.stop(self.broker)

    def _cards(self) -> None:
        cardsim = self.bin("tools", "cardsim", "kazasu-cardsim")
        cards = self.run / "cards"

        def run(*args):
            out = subprocess.run([cardsim, *args], capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                raise Failure(f"kazasu-cardsim {args[0]}: {out.stderr.strip()}")
        run("make-ca", "--out", str(cards / "ca"))
        made = [("resident", ["--variant", "valid", "--name", "試験　花子", "--sex", "2"]),
                ("renewed", ["--variant", "renewed", "--from", str(cards / "resident")]),
                ("badge", ["--variant", "badge"]),
                ("locked", ["--variant", "locked-pin"])]
        for name, extra in made:
            run("make-card", "--ca", str(cards / "ca"), "--out", str(cards / name), *extra)
            self.cards[name] = cards / name

    def _pcscd(self) -> None:
        """Uses the running pcscd (Debian starts it on demand through pcscd.socket); as root
        with none running, starts `pcscd -f` for the demo's lifetime."""
        running = any((p / "comm").read_text().strip() == "pcscd"
                      for p in pathlib.Path("/proc").iterdir() if p.name.isdigit() and (p / "comm").exists())
        if running:
            return
        if not pathlib.Path("/etc/reader.conf.d/vpcd").exists():
            raise Skip("vsmartcard-vpcd is not installed (/etc/reader.conf.d/vpcd)")
        socket_unit = pathlib.Path("/run/pcscd/pcscd.comm")
        if socket_unit.exists() and os.geteuid() != 0:
            return  # socket activation starts it on the first client
        if os.geteuid() != 0:
            raise Skip("pcscd is not running and only root can start it")
        binary = "/usr/sbin/pcscd" if os.path.exists("/usr/sbin/pcscd") else "pcscd"
        self.pcscd = self.procs.start("pcscd", [binary, "-f"], self.run / "pcscd.log")
        time.sleep(1.0)

    def station_config(self, station: str) -> str:
        text = (ROOT / "config" / "demo.toml").read_text(encoding="utf-8")
        values = {"@STATION@": station, "@BROKER@": f"tcp://127.0.0.1:{self.port}",
                  "@PLUGIN_DIR@": self.bin("lib", "kazasu", "plugins"),
                  "@CA_CERT@": str(self.run / "cards" / "ca" / "auth_ca_cert.pem")}
        for key, value in values.items():
            text = text.replace(key, value)
        keep = []
        for header, body in toml_sections(text):
            if station != "central-library":
                # the hall is a polling station only: the election plugin and its reception desk
                if header.startswith(("plugins.library", "plugins.points", "plugins.attendance", "identify")) or \
                        header in ("readers.counter", "readers.wall"):
                    continue
            if self.readers == "sim":
                if header == "identify.jpki":
                    continue
                body = body.replace('driver = "pcsc"', 'driver = "sim"')
                body = re.sub(r'^pcsc_reader = .*\n', "", body, flags=re.M)
            keep.append(body)
        text = "".join(keep)
        if self.readers == "sim":
            text += ("\n# Simulated cards (tests): the resident, her renewed card (a new certificate, so a new\n"
                     "# token), a staff badge and a card whose PIN is locked.\n"
                     "[sim.cards.resident]\nkind = \"jpki\"\nserial = \"0x5E6F7081\"\n\n"
                     "[sim.cards.renewed]\nkind = \"jpki\"\nserial = \"0x5E6F7082\"\n\n"
                     "[sim.cards.badge]\nkind = \"uid\"\nuid = \"04A1B2C3D4E5F6\"\n\n"
                     "[sim.cards.locked]\nkind = \"jpki\"\nserial = \"0x0\"\nresult = \"pin_locked\"\n"
                     "message = \"the PIN is locked: send the holder to the city office\"\n")
        return text

    def _stations(self) -> None:
        secret = self.run / "site.secret"
        first = True
        for station in STATIONS:
            d = self.run / station
            d.mkdir()
            (d / "kazasud.toml").write_text(self.station_config(station), encoding="utf-8")
            creds = d / "mqtt-credentials.toml"
            creds.write_text(f'username = "station-{station}"\npassword = "{self.passwords["station-" + station]}"\n')
            os.chmod(creds, 0o600)
            if first:
                self.ctl(station, "secret", "init", str(secret))
                first = False
            self.daemons[station] = self.procs.start(
                f"kazasud {station}", [self.bin("daemon", "kazasud"), "--config", str(d / "kazasud.toml")], d / "kazasud.log")
        for station in STATIONS:
            sock = self.run / station / "control.sock"
            try:
                wait_until(lambda: sock.exists() or self.daemons[station].poll() is not None, 20, f"kazasud {station}")
            except Failure:
                pass
            if not sock.exists():
                log = (self.run / station / "kazasud.log").read_text(errors="replace")[-3000:]
                raise Failure(f"kazasud {station} did not start:\n{log}")
        self.expect("central-library", "status", 0, state="online")
        self.expect("hall", "status", 0, state="online")
        if self.readers == "pcsc":
            for reader in ("counter", "wall"):
                try:
                    self.sub.wait("central-library", f"readers/{reader}", 0, 15, state="ready")
                except Failure:
                    raise Failure(f"the PC/SC reader {VPCD[reader][0]} is not ready (is pcscd running with vsmartcard-vpcd?); "
                                  f"see {self.run / 'central-library' / 'kazasud.log'}") from None

    def start_desk(self, station: str, port: int = 0) -> None:
        d = self.run / station
        creds = d / "desk-credentials.toml"
        creds.write_text(f'username = "desk-{station}"\npassword = "{self.passwords["desk-" + station]}"\n')
        os.chmod(creds, 0o600)
        out = d / "desk.out"
        proc = self.procs.start(f"kazasu-desk {station}", [
            self.bin("tools", "desk", "kazasu-desk"), "--site", SITE, "--station", station,
            "--broker", f"tcp://127.0.0.1:{self.port}", "--credentials", str(creds),
            "--listen", f"127.0.0.1:{port}", "--web", str(ROOT / "tools" / "desk" / "web")],
            stdout=open(out, "wb"), stderr=open(d / "desk.log", "ab"))
        self.desk_procs[station] = proc

        def url():
            m = re.search(r"serving (\S+) for", out.read_text(errors="replace"))
            if proc.poll() is not None:
                raise Failure(f"kazasu-desk {station} exited: {(d / 'desk.log').read_text(errors='replace')}")
            return m.group(1) if m else None
        self.desks[station] = wait_until(url, 10, f"kazasu-desk {station}")

    def _desks(self) -> None:
        for station in STATIONS:
            self.start_desk(station)

    def open_browser(self) -> Browser:
        why = browser_available()
        if why:
            raise Skip(why)
        self.browser = Browser(self.run, self.shots)
        for station in STATIONS:
            self.browser.open(station, self.desks[station])
            b = self.browser.tab(station)
            b.wait_js("return document.getElementById('link-state').dataset.state === 'up';", f"desk {station} to connect")
            b.wait_js("return !document.getElementById('panel-election').hidden;", f"desk {station}'s panels")
        return self.browser

    def stop(self) -> None:
        if self.browser:
            self.browser.close()
        self.procs.stop_all()

    # -- taps
    def tap(self, station: str, reader: str, card: str, pin: bool = False) -> None:
        if self.readers == "sim" or reader not in VPCD:
            self.ctl(station, "tap", "--reader", reader, "--card", card)
            return
        if pin:
            self.ctl(station, "pin", "--reader", reader, "--pin", PIN)
        port = VPCD[reader][1]
        sim = subprocess.Popen([self.bin("tools", "cardsim", "kazasu-cardsim"), "run", "--card", str(self.cards[card]),
                                "--port", str(port), "--hold-ms", "2000"],
                               stdout=subprocess.DEVNULL, stderr=open(self.run / "cardsim.log", "ab"))
        try:
            sim.wait(30)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
            raise Failure(f"kazasu-cardsim {card} on {reader} did not finish") from None
        time.sleep(0.3)  # vpcd notices the removal

    # -- the scripted sequence
    def sequence(self) -> None:
        b = self.browser
        home, hall = STATIONS
        tz = zoneinfo.ZoneInfo("Asia/Tokyo")
        today = datetime.datetime.now(tz).date()

        self.step("library: staff link patron P0001 at the counter (the page's button), the resident taps")
        b.tab(home)
        b.command("points", "register", {"consent": True, "consent_method": "counter", "reader": "counter"})
        b.fill("#library-link-patron", PATRON + "\n")  # the keyboard: Enter submits the form
        b.wait_text("#library-link-out", PATRON, kind="info")
        n = self.sub.count()
        self.tap(home, "counter", "resident", pin=True)
        self.expect(home, "library/linked", n, patron=PATRON)
        self.expect(home, "points/registered", n)
        b.wait_text("#library-card", PATRON, kind="ok")

        self.step("library + points: the resident taps again: her patron number, 10 points for the visit")
        n = self.sub.count()
        self.tap(home, "counter", "resident", pin=True)
        self.expect(home, "library/patron", n, patron=PATRON)
        self.expect(home, "points/award", n, awarded=10)
        b.wait_text("#library-card", PATRON, kind="ok")
        b.wait_text("#points-card", "+10", kind="ok")
        b.wait_js("return Number(document.body.dataset.chimes || 0) > 0;", "the chime")

        self.step("library: her renewed card (a new certificate): the relink hint")
        n = self.sub.count()
        self.tap(home, "counter", "renewed", pin=True)
        self.expect(home, "library/unknown_card", n, reason="not_linked")
        b.wait_text("#library-card", "登録されていないカード", kind="warn")

        self.step("library: a card whose PIN is locked: send the holder to the city office")
        n = self.sub.count()
        self.tap(home, "counter", "locked")
        self.expect(home, "library/unknown_card", n, reason="pin_locked")
        b.wait_text("#library-card", kind="stop")
        b.screenshot("desk-library")

        self.step("attendance: enroll staff S001's badge on the wall reader, clock in and out")
        b.command("attendance", "enroll", {"staff": STAFF, "section": "library", "reader": "wall"})
        n = self.sub.count()
        self.tap(home, "wall", "badge")
        self.expect(home, "attendance/enrolled", n, staff=STAFF)
        n = self.sub.count()
        self.tap(home, "wall", "badge")
        self.expect(home, "attendance/clock", n, staff=STAFF, direction="in")
        b.wait_text("#attendance-card", STAFF, "→", kind="ok")
        b.wait_text("#attendance-roster tbody", STAFF)
        b.wait_text("#attendance-count", "1")
        n = self.sub.count()
        self.tap(home, "wall", "badge")
        self.expect(home, "attendance/clock", n, staff=STAFF, direction="out")
        b.wait_text("#attendance-card", STAFF, "←", kind="ok")
        b.wait_text("#attendance-count", "0")

        self.step("election: open the early vote at both stations, import the roll, link the voter's card")
        election = {"election": ELECTION, "name": "デモ市長選挙 (demo mayoral election)",
                    "early_voting_start": str(today - datetime.timedelta(days=1)),
                    "early_voting_end": str(today + datetime.timedelta(days=5)),
                    "election_day": str(today + datetime.timedelta(days=6)),
                    "stations": [{"id": home, "early_voting": True}, {"id": hall, "early_voting": True, "election_day": True}]}
        roll = ("voter_number,name_kanji,name_kana,birth_date,sex,district,station,note\n"
                f"{VOTER},試験　花子,シケン　ハナコ,1990-01-05,2,第1投票区,{hall},\n"
                f"V0002,試験　太郎,シケン　タロウ,1980-02-17,1,第1投票区,{hall},\n")
        for station in STATIONS:
            b.tab(station)
            b.command("election", "open", election)
            b.command("election", "import_roll", {"election": ELECTION, "csv": roll})
        b.tab(home)
        b.command("election", "link", {"election": ELECTION, "voter_number": VOTER, "reader": "reception"})
        n = self.sub.count()
        self.tap(home, "reception", "voter")
        self.expect(home, "election/linked", n, voter_number=VOTER)

        self.step("election: the voter taps at the reception desk; staff check and confirm (the page's button)")
        n = self.sub.count()
        self.tap(home, "reception", "voter")
        self.expect(home, "election/match", n, voter_number=VOTER)
        b.wait_text("#election-card", VOTER, kind="info")
        # The match puts the keyboard's focus on the confirm button: staff press Enter.
        b.wait_js("return document.activeElement && document.activeElement.id === 'election-confirm';",
                  "the focus on the confirm button")
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        ActionChains(b.driver).send_keys(Keys.ENTER).perform()
        b.wait_text("#election-confirm-out", "✓", kind="ok")
        self.expect(home, "election/reception", n, voter_number=VOTER)
        declaration = self.expect(home, "election/declaration", n, voter_number=VOTER)
        b.wait_text("#election-card", VOTER, kind="ok")
        b.wait_js("return !document.getElementById('election-print').disabled;", "the print button")
        self.check_declaration(declaration)

        self.step("election: the same voter at the hall: already received, a hard stop")
        n = self.sub.count()
        self.tap(hall, "reception", "voter")
        refused = self.expect(hall, "election/already_received", n, voter_number=VOTER)
        if refused.get("received_at_station") != home:
            raise Failure(f"already_received names {refused.get('received_at_station')!r}, not {home}")
        b.tab(hall)
        b.wait_text("#election-card", home, kind="stop")
        b.wait_js("return document.getElementById('election-confirm').disabled;", "no confirm past the stop")
        b.screenshot("desk-hall-already-received")

        self.step("points: the resident taps at the counter again (10 more points) and donates 10 of them")
        b.tab(home)
        n = self.sub.count()
        self.tap(home, "counter", "resident", pin=True)
        self.expect(home, "library/patron", n, patron=PATRON)
        self.expect(home, "points/award", n, awarded=10, balance=20)
        b.wait_text("#points-card", "+10", "20", kind="ok")
        b.wait_text("#points-projects", "tower-wifi")
        b.fill("#points-donate-project", "tower-wifi")
        b.fill("#points-donate-points", "10")
        n = self.sub.count()
        b.click("#points-donate-btn")
        b.wait_text("#points-donate-out", "✓", kind="ok")
        self.expect(home, "points/projects", n)
        b.wait_text("#points-projects", "10 / 100 ")
        b.js("window.scrollTo(0, 0);")
        b.screenshot("desk")

    def check_declaration(self, declaration: dict) -> None:
        b = self.browser
        shown = b.print_view("desk-declaration-print")
        if not shown["visible"] or shown["others"]:
            raise Failure(f"the print view shows {shown['others']} besides the declaration, visible={shown['visible']}")
        text = shown["text"]
        for key in ("election_name", "election_day", "date", "polling_station", "voter_number", "district"):
            if str(declaration[key]) not in text:
                raise Failure(f"the printed declaration lacks {key} ({declaration[key]!r})")
        if shown["reasons"] != ["1", "2", "3", "4", "5", "6"]:
            raise Failure(f"the printed declaration lists reasons {shown['reasons']}")
        for reason in declaration["reasons"]:
            if reason["ja"] not in text or reason["en"] not in text:
                raise Failure(f"the printed declaration lacks reason {reason['code']}")


def main() -> int:
    """scripts/demo's driver: BUILD_DIR [--once]."""
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, type=pathlib.Path)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--readers", choices=("pcsc", "sim"), default="pcsc")
    parser.add_argument("--screenshots", type=pathlib.Path)
    parser.add_argument("--readme-image", type=pathlib.Path, help="copy the desk screenshot here")
    args = parser.parse_args()
    args.build = args.build.resolve()
    run = args.build / "demo"
    city = City(args.build, run, readers=args.readers, show=True, shots=args.screenshots)
    stop = {"now": False}

    def on_signal(signum, frame):  # noqa: ARG001
        stop["now"] = True
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        city.step(f"kazasu demo: mosquitto on 127.0.0.1, two stations of {SITE}, logs in {run}")
        city.start()
        for station in STATIONS:
            print(f"== desk page of {station}: {city.desks[station]}", flush=True)
        city.open_browser()
        city.sequence()
        print(f"\n== all {city.found} expected messages arrived and the desk pages showed them "
              f"({time.monotonic() - started:.0f} s). Screenshots: {city.shots}", flush=True)
        if args.readme_image:
            shutil.copyfile(city.shots / "desk.png", args.readme_image)
        if args.once:
            return 0
        city.browser.close()
        city.browser = None
        print("== the stations and desks keep running. Open a desk page in a browser:")
        for station in STATIONS:
            print(f"   {station}: {city.desks[station]}")
        print("   and tap more cards from another terminal, e.g.")
        print(f"   {city.bin('tools', 'kazasuctl', 'kazasuctl')} --config {run / 'central-library' / 'kazasud.toml'} "
              "tap --reader reception --card voter")
        print("== Ctrl-C stops everything this demo started.", flush=True)
        while True:
            time.sleep(1)
    except Skip as e:
        print(f"demo: cannot run here: {e}", file=sys.stderr)
        return 77
    except Failure as e:
        print(f"\ndemo: FAILED: {e}\n(logs in {run})", file=sys.stderr)
        if city.browser:
            try:
                city.browser.screenshot("failure")
            except Exception:  # noqa: BLE001
                pass
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        city.stop()


if __name__ == "__main__":
    sys.exit(main())
