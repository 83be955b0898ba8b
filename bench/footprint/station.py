"""A kazasud station for the benchmarks: a mosquitto on a free loopback port,
the four municipal plugins (library, election, attendance, points) with their
SQLite ledgers, `sim` or `pcsc` readers, a NOTIFY_SOCKET listener for READY=1,
and what /proc says about the running daemon. Used by bench/footprint/run and
bench/throughput/run; standard library only."""
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SIM_CARDS = 61  # a prime, so card i and reader i cycle through every pair


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine_info():
    info = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host_cpus": os.cpu_count(),
            "kernel": platform.release(), "python": platform.python_version()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["loadavg_at_start"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    return info


class Mosquitto:
    def __init__(self, work):
        self.port = free_port()
        conf = Path(work) / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n")
        self.log = open(Path(work) / "mosquitto.log", "w")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    @property
    def uri(self):
        return f"tcp://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def plugin_sections(readers):
    """The four municipal plugins, configured as a station of demo-city runs them."""
    first = readers[0]
    return f"""
[plugins.library]
[plugins.library.config]
counter_reader = "{first}"

[plugins.points]
[plugins.points.config]
facility = "library"
rules = ["facility=library points=10 per_day=5"]
prizes = ["prize=towel cost=300 stock=50"]
register_reader = "{first}"

[plugins.attendance]
[plugins.attendance.config]
enroll_reader = "{first}"
min_gap_s = 0

[plugins.election]
[plugins.election.config]
polling_station = "station"
counter_reader = "{first}"
link_min_assurance = "fast"
declaration_fields = "none"
"""


def write_config(work, build, broker_uri, readers, stage_log=False, log_level="warning"):
    """readers: list of (name, driver, pcsc_reader or None); each is bound to all four plugins."""
    work = Path(work)
    secret = work / "site.secret"
    if not secret.exists():
        subprocess.run([str(Path(build) / "tools/kazasuctl/kazasuctl"), "secret", "init", str(secret)], check=True,
                       stdout=subprocess.DEVNULL)
    text = f"""[station]
site = "bench"
name = "station"
data_dir = "{work / 'data'}"
secret_file = "{secret}"
control_socket = "{work / 'control.sock'}"
plugin_dir = "{Path(build) / 'lib/kazasu/plugins'}"
log_level = "{log_level}"
timezone = "Asia/Tokyo"

[mqtt]
uri = "{broker_uri}"

[shared]
sqlite_file = "{work / 'shared.db'}"
"""
    text += plugin_sections([r[0] for r in readers])
    for name, driver, pcsc_name in readers:
        text += f'\n[readers.{name}]\ndriver = "{driver}"\nplugins = ["library", "points", "attendance", "election"]\n'
        text += 'accept = ["jpki", "uid"]\nlevel = "fast"\n'
        if pcsc_name:
            text += f'pcsc_reader = "{pcsc_name}"\n'
    for i in range(SIM_CARDS):
        text += f'\n[sim.cards.c{i}]\nkind = "jpki"\nserial = "0x{0x1000 + i:X}"\n'
    if stage_log:
        text += f'\n[diagnostics]\nstage_log = "{work / "stages.csv"}"\n'
    (work / "kazasud.toml").write_text(text)
    return work / "kazasud.toml"


class Kazasud:
    """kazasud with NOTIFY_SOCKET pointing at a datagram socket this object reads."""

    def __init__(self, work, build, config, extra_env=None):
        self.work = Path(work)
        self.notify_path = self.work / "notify.sock"
        if self.notify_path.exists():
            self.notify_path.unlink()
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        env = dict(os.environ, NOTIFY_SOCKET=str(self.notify_path))
        env.update(extra_env or {})
        self.log = open(self.work / "kazasud.log", "a")
        self.messages = []
        self.ready_at = None
        self.got = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(Path(build) / "daemon/kazasud"), "--config", str(config)], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        # Read every datagram, as systemd does: sd_notify blocks once the socket's queue is full.
        self.reader = threading.Thread(target=self._read_notify, daemon=True)
        self.reader.start()

    def _read_notify(self):
        self.notify.settimeout(0.2)
        while True:
            try:
                data = self.notify.recv(4096).decode(errors="replace")
            except socket.timeout:
                if self.proc.poll() is not None:
                    return
                continue
            except OSError:
                return
            at = time.monotonic()
            with self.got:
                self.messages.append((at, data))
                if "READY=1" in data and self.ready_at is None:
                    self.ready_at = at
                self.got.notify_all()

    def wait_ready(self, timeout=15.0):
        """Seconds from exec to READY=1."""
        deadline = self.started + timeout
        with self.got:
            while self.ready_at is None and time.monotonic() < deadline and self.proc.poll() is None:
                self.got.wait(0.05)
            if self.ready_at is not None:
                return self.ready_at - self.started
        raise RuntimeError(f"kazasud did not say READY=1 (exit {self.proc.poll()}); see {self.work / 'kazasud.log'}")

    def control(self, request):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(self.work / "control.sock"))
            s.sendall((json.dumps(request) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return json.loads(buf)

    def wait_drained(self, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.control({"cmd": "status"})
            if st.get("queued", 1) == 0 and st.get("taps_in_flight", 1) == 0 and st.get("mqtt") == "connected":
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join()
        self.notify.close()
        self.log.close()


# ---- /proc ----------------------------------------------------------------------------

def _status_fields(path):
    out = {}
    try:
        for line in open(path):
            k, _, v = line.partition(":")
            out[k] = v.strip()
    except OSError:
        pass
    return out


def memory(pid):
    """VmRSS, VmHWM and PSS in KiB."""
    st = _status_fields(f"/proc/{pid}/status")
    roll = _status_fields(f"/proc/{pid}/smaps_rollup")
    kib = lambda v: int(v.split()[0]) if v else None  # noqa: E731
    return {"rss_kib": kib(st.get("VmRSS")), "hwm_kib": kib(st.get("VmHWM")), "pss_kib": kib(roll.get("Pss")),
            "pss_anon_kib": kib(roll.get("Pss_Anon")), "pss_file_kib": kib(roll.get("Pss_File")),
            "threads": int(st.get("Threads", "0"))}


def thread_switches(pid):
    """{tid: (name, voluntary + nonvoluntary context switches)}"""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        st = _status_fields(task / "status")
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        out[int(task.name)] = (name, int(st.get("voluntary_ctxt_switches", 0)) +
                               int(st.get("nonvoluntary_ctxt_switches", 0)))
    return out


def idle_wakeups(pid, seconds):
    """Wake-ups per second of each thread over `seconds` (context switches: each sleep ends in one)."""
    before = thread_switches(pid)
    time.sleep(seconds)
    after = thread_switches(pid)
    rows = []
    for tid, (name, n) in sorted(after.items()):
        if tid in before:
            # The main thread runs the io_context; the unnamed others are, in the order kazasud makes
            # them, the audit writer, the plugin pool, then (after any pcsc workers) the shared-state thread.
            label = f"{name} (io)" if tid == pid else name
            rows.append({"tid": tid, "name": label, "per_s": round((n - before[tid][1]) / seconds, 2)})
    return rows


def cpu_ticks(pid):
    """utime + stime of the whole process, in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return out


# ---- pcscd ----------------------------------------------------------------------------

VPCD_READERS = ["Virtual PCD 00 00", "Virtual PCD 00 01", "Kazasu Virtual PCD 00 00", "Kazasu Virtual PCD 00 01"]


def running_pcscd():
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == "pcscd":
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


class Pcscd:
    """Uses the system's pcscd when one runs; otherwise starts `pcscd -f` and stops only that one."""

    def __init__(self, work):
        self.proc = None
        if running_pcscd():
            return
        binary = "/usr/sbin/pcscd" if os.path.exists("/usr/sbin/pcscd") else shutil.which("pcscd")
        self.log = open(Path(work) / "pcscd.log", "w")
        self.proc = subprocess.Popen([binary, "-f"], stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(1.5)  # it loads the vpcd drivers and opens their ports

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


def workdir(prefix):
    return Path(tempfile.mkdtemp(prefix=prefix))


def tap_load(build, sock, readers, cards, rate, seconds, connections=4):
    out = subprocess.run([str(Path(build) / "bench/outbox/kazasu-tap-load"), str(sock), ",".join(readers),
                          ",".join(cards), str(rate), str(seconds), "--connections", str(connections), "--json"],
                         capture_output=True, text=True)
    if not out.stdout.strip():
        raise RuntimeError(f"kazasu-tap-load failed: {out.stderr}")
    return json.loads(out.stdout)
