#!/usr/bin/env python3
"""Measures `tlstrace read --tui FILE` in a pseudo-terminal: time to the first table row, time
until loading ends, the latency of key presses during and after loading, and memory.

    scripts/tui-bench.py [--bin target/release/tlstrace] [--runs 3] [--write-benchmarks] [FILE]

FILE defaults to /tmp/tlstrace-bench/wl-1G.pcap. Python 3 standard library only (pyte is not
needed: a minimal terminal model below follows what ratatui's crossterm backend writes:
cursor moves, SGR attributes, text).

How a key's latency is taken: the key is written to the terminal and the time noted; the
explorer's output is split into frames (ratatui ends every `Terminal::draw` by hiding the
cursor, ESC [ ? 2 5 l); each frame is applied to the screen model and the first frame whose
screen shows the key's effect (the selected row moved, the filter line changed, another screen
opened) ends the wait. Reported per key: to the first byte of that frame ("latency") and to
its last byte. Also reported: the first output of any kind after the key ("first output"),
which during loading is usually a redraw for new rows or the 250 ms timer, not the key; and
how many frames came with no visible change (the explorer redraws every 250 ms; ratatui only
writes what changed, so those frames are only the trailing attribute resets and cursor hide).
"""

import argparse
import codecs
import fcntl
import os
import pty
import re
import resource
import select
import shlex
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time

ROWS, COLS = 48, 160
FRAME_END = b"\x1b[?25l"
DEFAULT_FILE = "/tmp/tlstrace-bench/wl-1G.pcap"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

KEYS = {
    "j": b"j",
    "k": b"k",
    "PgDn": b"\x1b[6~",
    "G": b"G",
    "g": b"g",
    "/": b"/",
    "Backspace": b"\x7f",
    "Esc": b"\x1b",
    "s": b"s",
    "Enter": b"\r",
}

# ---------------------------------------------------------------------------------------------
# A minimal terminal: enough for ratatui's output (absolute cursor moves, SGR, printable text).

CSI_RE = re.compile(r"\x1b\[([?0-9;:]*)([ -/]*)([@-~])")
OTHER_ESC_RE = re.compile(r"\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]")
ROW_RE = re.compile(r"^[│|]\s*(\d+)\s")
# An address in a row: IPv4:port, or an IPv6 one in brackets (cut with … in a narrow column).
ADDR_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+|\[[0-9a-fA-F:.]+(\]:\d+|…)")


class Screen:
    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.text = [[" "] * cols for _ in range(rows)]
        self.rev = [[False] * cols for _ in range(rows)]
        self.y = self.x = 0
        self.reverse = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""

    def clear(self, y0, x0, y1, x1):
        for y in range(y0, y1):
            for x in range(x0 if y == y0 else 0, x1 if y == y1 - 1 else self.cols):
                self.text[y][x] = " "
                self.rev[y][x] = False

    def sgr(self, params):
        ps = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p in (38, 48, 58):  # extended colors: skip their arguments
                if i + 1 < len(ps) and ps[i + 1] == 5:
                    i += 2
                elif i + 1 < len(ps) and ps[i + 1] == 2:
                    i += 4
            elif p == 0:
                self.reverse = False
            elif p == 7:
                self.reverse = True
            elif p == 27:
                self.reverse = False
            i += 1

    def csi(self, params, final):
        nums = [int(p) if p.isdigit() else 0 for p in params.lstrip("?").split(";")] if params else []
        n1 = nums[0] if nums and nums[0] else 1
        if final in "Hf":
            self.y = min(max((nums[0] if len(nums) > 0 and nums[0] else 1) - 1, 0), self.rows - 1)
            self.x = min(max((nums[1] if len(nums) > 1 and nums[1] else 1) - 1, 0), self.cols - 1)
        elif final == "m":
            self.sgr(params)
        elif final == "J" and not params.startswith("?"):
            mode = nums[0] if nums else 0
            if mode == 0:
                self.clear(self.y, self.x, self.rows, self.cols)
            elif mode == 1:
                self.clear(0, 0, self.y + 1, self.x + 1)
            else:
                self.clear(0, 0, self.rows, self.cols)
        elif final == "K":
            mode = nums[0] if nums else 0
            lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1)}.get(mode, (0, self.cols))
            for x in range(lo, hi):
                self.text[self.y][x] = " "
                self.rev[self.y][x] = False
        elif final == "A":
            self.y = max(self.y - n1, 0)
        elif final == "B":
            self.y = min(self.y + n1, self.rows - 1)
        elif final == "C":
            self.x = min(self.x + n1, self.cols - 1)
        elif final == "D":
            self.x = max(self.x - n1, 0)
        elif final == "G":
            self.x = min(n1 - 1, self.cols - 1)
        elif final == "d":
            self.y = min(n1 - 1, self.rows - 1)
        elif params == "?1049" and final in "hl":
            self.clear(0, 0, self.rows, self.cols)

    def feed(self, data):
        s = self.pending + self.decoder.decode(data)
        self.pending = ""
        i, n = 0, len(s)
        while i < n:
            c = s[i]
            if c == "\x1b":
                m = CSI_RE.match(s, i)
                if m:
                    self.csi(m.group(1), m.group(3))
                    i = m.end()
                    continue
                m = OTHER_ESC_RE.match(s, i)
                if m:
                    i = m.end()
                    continue
                if n - i < 32:  # an escape cut by the end of the chunk
                    self.pending = s[i:]
                    return
                i += 1
            elif c == "\r":
                self.x = 0
                i += 1
            elif c == "\n":
                self.y = min(self.y + 1, self.rows - 1)
                i += 1
            elif c < " " or c == "\x7f":
                i += 1
            else:
                if self.x < self.cols:
                    self.text[self.y][self.x] = c
                    self.rev[self.y][self.x] = self.reverse
                self.x += 1
                i += 1

    def line(self, y):
        return "".join(self.text[y])

    def table_rows(self):
        """(screen line, connection number) of the table's rows on screen."""
        out = []
        if "tlstrace: connections" not in self.line(0):
            return out
        for y in range(2, self.rows - 1):
            ln = self.line(y)
            m = ROW_RE.match(ln)
            if m and ADDR_RE.search(ln):
                out.append((y, int(m.group(1))))
        return out

    def selected(self):
        for y, conn in self.table_rows():
            if self.rev[y][2] and self.rev[y][3]:
                return (y, conn)
        return None

    def status(self):
        return self.line(self.rows - 1).strip()

    def editing(self):
        ln = self.line(self.rows - 2)
        return ln.rstrip() if ln.startswith("/") else None

    def kind(self):
        top = self.line(0)
        if "tlstrace: connections" in top:
            return "table"
        if "summary:" in top:
            return "summary"
        if ": ladder" in top:
            return "ladder"
        if "help:" in top:
            return "help"
        return "?"

    def snapshot(self):
        return {
            "kind": self.kind(),
            "selected": self.selected(),
            "editing": self.editing(),
            "status": self.status(),
            "rows": len(self.table_rows()),
            "ladder_ready": self.kind() == "ladder"
            and not any("tracing this connection again" in self.line(y) for y in range(1, self.rows - 1)),
        }


def loading(status):
    return "loading" in status or "capturing" in status


def loaded(status):
    return (" packets" in status) and not loading(status)


def printable(frame):
    """Whether a frame writes any visible text (not just attributes and cursor moves)."""
    return any(c >= 0x20 and c != 0x7F for c in CSI_RE.sub("", OTHER_ESC_RE.sub("", frame.decode("utf-8", "replace"))).encode())


# ---------------------------------------------------------------------------------------------


class Session:
    """One run of the explorer in a pseudo-terminal; a thread reads its output."""

    def __init__(self, binary, capture, extra_args):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "NO_COLOR", "COLUMNS", "LINES")}
        env.update(LANG="C.UTF-8", TERM="xterm-256color")

        def controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "read", "--tui", *extra_args, capture],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        self.screen = Screen(ROWS, COLS)
        self.lock = threading.Condition()
        self.frames = []  # (first byte, last byte, bytes, visible?, snapshot after)
        self.chunks = []  # times of every read
        self.buf = b""
        self.frame_start = None
        self.eof = False
        self.rss = []  # (t, VmRSS kB)
        self.stop_sampling = False
        self.threads_seen = {}  # thread -> CPU seconds, last seen
        self.reader = threading.Thread(target=self.read_loop, daemon=True)
        self.reader.start()
        self.sampler = threading.Thread(target=self.sample_loop, daemon=True)
        self.sampler.start()

    def read_loop(self):
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 1.0)
                if not r:
                    continue
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            t = time.monotonic()
            if not data:
                with self.lock:
                    self.eof = True
                    self.lock.notify_all()
                return
            if b"\x1b[6n" in data:
                # Cursor position report: ratatui asks for it when it sets the terminal up and
                # waits up to 2 s for the answer (then gives up: exit status 7).
                os.write(self.master, b"\x1b[1;1R")
            with self.lock:
                self.chunks.append(t)
                if self.frame_start is None:
                    self.frame_start = t
                self.buf += data
                while True:
                    at = self.buf.find(FRAME_END)
                    if at < 0:
                        break
                    frame, self.buf = self.buf[: at + len(FRAME_END)], self.buf[at + len(FRAME_END) :]
                    self.screen.feed(frame)
                    self.frames.append((self.frame_start, t, len(frame), printable(frame), self.screen.snapshot()))
                    self.frame_start = t if self.buf else None
                self.lock.notify_all()

    def sample_loop(self):
        """RSS every 50 ms, and each thread's CPU time as last seen (threads that end leave
        /proc/PID/task, so their time is kept from the last sample before)."""
        path = f"/proc/{self.proc.pid}/status"
        while not self.stop_sampling:
            try:
                with open(path) as f:
                    for ln in f:
                        if ln.startswith("VmRSS:"):
                            self.rss.append((time.monotonic() - self.t0, int(ln.split()[1])))
                            break
                cpu = self.thread_cpu()
            except OSError:
                return
            with self.lock:
                self.threads_seen.update(cpu)
            time.sleep(0.05)

    def proc_status(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for ln in f:
                if ln.startswith(field + ":"):
                    return int(ln.split()[1])
        return None

    def thread_cpu(self):
        """{thread name: CPU seconds} from /proc/PID/task/*/stat."""
        hz = os.sysconf("SC_CLK_TCK")
        out = {}
        base = f"/proc/{self.proc.pid}/task"
        for tid in os.listdir(base):
            try:
                with open(f"{base}/{tid}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            name = s[s.index("(") + 1 : s.rindex(")")]
            fields = s[s.rindex(")") + 2 :].split()
            cpu = (int(fields[11]) + int(fields[12])) / hz
            try:
                # schedstat: time on a CPU, time waiting on a run queue (ns), time slices.
                with open(f"{base}/{tid}/schedstat") as f:
                    waited = int(f.read().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                waited = None
            label = "interface (main)" if tid == str(self.proc.pid) else name
            out[f"{label}[{tid}]"] = (cpu, waited)
        return out

    def wait_for(self, pred, after_frame, timeout, not_before=None):
        """The first frame from index `after_frame` on (and begun at `not_before` or later) whose
        snapshot satisfies `pred`."""
        deadline = time.monotonic() + timeout
        with self.lock:
            i = after_frame
            while True:
                while i < len(self.frames):
                    if (not_before is None or self.frames[i][0] >= not_before) and pred(self.frames[i][4]):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.lock.wait(left)

    def current(self):
        with self.lock:
            return len(self.frames), (self.frames[-1][4] if self.frames else self.screen.snapshot())

    def ui_cpu(self):
        """Seconds the interface (main) thread has run (schedstat, nanoseconds)."""
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/schedstat") as f:
                return int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def send(self, data):
        os.write(self.master, data)


# ---------------------------------------------------------------------------------------------


def key_plan(letter, nav):
    """(name, bytes, predicate maker, settle) for the key sequence; the predicate maker takes the
    snapshot before the key and returns the test for the snapshot after."""
    plan = []
    if nav:

        def moved(before):
            return lambda s: s["kind"] == "table" and s["selected"] is not None and s["selected"] != before["selected"]

        for name in ("j", "k", "PgDn", "G", "g"):
            plan.append((name, KEYS[name], moved))
    plan += [
        ("/", KEYS["/"], lambda b: lambda s: s["editing"] is not None),
        (letter, letter.encode(), lambda b: lambda s: s["editing"] == "/" + letter),
        ("Backspace", KEYS["Backspace"], lambda b: lambda s: s["editing"] == "/"),
        ("Esc (filter)", KEYS["Esc"], lambda b: lambda s: s["editing"] is None and s["kind"] == "table"),
        ("s", KEYS["s"], lambda b: lambda s: s["kind"] == "summary"),
        ("Esc (summary)", KEYS["Esc"], lambda b: lambda s: s["kind"] == "table" and s["rows"] > 0),
        ("Enter", KEYS["Enter"], lambda b: lambda s: s["kind"] == "ladder"),
        ("Esc (ladder)", KEYS["Esc"], lambda b: lambda s: s["kind"] == "table" and s["rows"] > 0),
    ]
    return plan


def press(sess, name, data, make_pred, timeout):
    n_before, before = sess.current()
    pred = make_pred(before)
    was_loading = loading(before["status"])
    cpu0 = sess.ui_cpu()
    t_key = time.monotonic()
    sess.send(data)
    # A frame begun before the key was written cannot show it.
    i = sess.wait_for(pred, n_before, timeout, not_before=t_key)
    cpu1 = sess.ui_cpu()
    res = {"key": name, "loading": was_loading, "t": t_key - sess.t0}
    # The interface thread's CPU from the key to the frame that shows it: the key's own cost
    # (after loading; while loading it also holds the rows taken meanwhile).
    res["ui_cpu"] = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None and i is not None else None
    with sess.lock:
        later = [t for t in sess.chunks if t >= t_key]
        res["first_output"] = (later[0] - t_key) if later else None
        if i is None:
            res["latency"] = res["last_byte"] = None
        else:
            start, end = sess.frames[i][0], sess.frames[i][1]
            res["latency"] = start - t_key
            res["last_byte"] = end - t_key
        res["frames_between"] = sum(1 for f in sess.frames[n_before : (i if i is not None else len(sess.frames))] if f[0] >= t_key)
    if name == "Enter" and i is not None:
        j = sess.wait_for(lambda s: s["ladder_ready"], i, timeout)
        with sess.lock:
            res["ladder_ready"] = (sess.frames[j][0] - t_key) if j is not None else None
    return res


def cpu_busy():
    """Seconds of CPU the whole machine spent busy (all CPUs; /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def one_run(args, run_no):
    busy0, self0, load0 = cpu_busy(), self_cpu(), os.getloadavg()[0]
    sess = Session(args.bin, args.file, shlex.split(args.extra))
    out = {"run": run_no}
    # First row.
    i = sess.wait_for(lambda s: s["rows"] > 0, 0, args.timeout_load)
    if i is None:
        raise SystemExit(f"no table row within {args.timeout_load} s; last screen:\n" + "\n".join(sess.screen.line(y) for y in range(ROWS)))
    with sess.lock:
        out["first_frame"] = sess.frames[0][0] - sess.t0
        out["first_row"] = sess.frames[i][0] - sess.t0
        out["loading_at_first_row"] = loading(sess.frames[i][4]["status"])
    # Keys while loading: the sequence over and over until the status line stops saying loading.
    presses = []
    nav_ok = True
    seq_no = 0
    while True:
        _, snap = sess.current()
        if not loading(snap["status"]):
            break
        for name, data, mk in key_plan(args.letter, nav_ok):
            _, snap = sess.current()
            if not loading(snap["status"]):
                break
            r = press(sess, name, data, mk, args.timeout_key)
            r["seq"] = seq_no
            presses.append(r)
            time.sleep(args.gap)
        seq_no += 1
    loaded_i = sess.wait_for(lambda s: loaded(s["status"]), 0, args.timeout_load)
    if loaded_i is None:
        raise SystemExit("loading did not end; status: " + sess.current()[1]["status"])
    with sess.lock:
        out["loaded"] = sess.frames[loaded_i][0] - sess.t0
        out["status_loaded"] = sess.frames[loaded_i][4]["status"]
    # What else ran on the machine while loading: all CPUs' busy time less this process and
    # the script (a shared machine; other builds and tests run beside the benchmark).
    out["others_cpu_loading"] = cpu_busy() - busy0 - process_cpu(sess.proc.pid) - (self_cpu() - self0)
    out["load_avg"] = (load0, os.getloadavg()[0])
    with sess.lock:
        out["cpu_at_load"] = dict(sess.threads_seen)
    out["cpu_at_load"].update(sess.thread_cpu())
    out["rss_at_load_kb"] = sess.proc_status("VmRSS")
    out["hwm_at_load_kb"] = sess.proc_status("VmHWM")
    # The keys while loading may have stopped anywhere (filter line open, another screen, the
    # selection on the last row): back to the table's top, not measured.
    for data in (KEYS["Esc"], KEYS["Esc"], b"g"):
        sess.send(data)
        time.sleep(0.15)
    time.sleep(0.3)
    # Rows on screen after loading: the navigation keys need some.
    _, snap = sess.current()
    nav_ok = snap["rows"] >= 3
    for rep in range(args.reps_after):
        for name, data, mk in key_plan(args.letter, nav_ok):
            r = press(sess, name, data, mk, args.timeout_key)
            r["seq"] = seq_no
            presses.append(r)
            time.sleep(args.gap)
        seq_no += 1
    out["presses"] = presses
    # Idle: frames with and without visible change over a quiet period.
    n0, _ = sess.current()
    t_idle = time.monotonic()
    time.sleep(args.idle)
    with sess.lock:
        idle = [f for f in sess.frames[n0:] if f[0] >= t_idle]
    out["idle_frames"] = len(idle)
    out["idle_visible"] = sum(1 for f in idle if f[3])
    out["idle_seconds"] = args.idle
    # Frames during loading.
    with sess.lock:
        during = [f for f in sess.frames if f[0] - sess.t0 <= out["loaded"]]
    out["loading_frames"] = len(during)
    out["loading_frames_invisible"] = sum(1 for f in during if not f[3])
    out["vmhwm_kb"] = sess.proc_status("VmHWM")
    out["cpu_end"] = sess.thread_cpu()
    sess.stop_sampling = True
    sess.send(b"q")
    try:
        out["exit"] = sess.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        sess.proc.kill()
        out["exit"] = "timeout"
    sess.reader.join(timeout=5)
    os.close(sess.master)
    out["rss"] = sess.rss
    out["rss_peak_sampled_kb"] = max((r for _, r in sess.rss), default=0)
    return out


# ---------------------------------------------------------------------------------------------


def ms(x):
    return "-" if x is None else f"{x * 1000:.1f}"


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summarize(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return "-", "-", "-", 0
    return ms(statistics.median(vals)), ms(pct(vals, 0.95)), ms(max(vals)), len(vals)


def report(args, runs, commit):
    lines = []
    p = lines.append
    extra = f" --extra='{args.extra}'" if args.extra else ""
    p(f"`scripts/tui-bench.py --runs {len(runs)}{extra} {os.path.basename(args.file)}`, {time.strftime('%Y-%m-%d %H:%M')}. ")
    p(f"capture: {args.file} ({os.path.getsize(args.file) / 1e6:,.1f} MB); binary: {args.bin}; commit {commit}")
    p(f"terminal {COLS}x{ROWS}, LANG=C.UTF-8, TERM=xterm-256color; {os.cpu_count()} CPUs; {len(runs)} run(s)")
    p("")
    p("| run | first row | loaded | status when loaded | peak RSS (VmHWM) | RSS at load end | keys while loading / after | key timeouts | exit | other processes' CPU while loading | load average (1 min) |")
    p("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    for r in runs:
        during = [x for x in r["presses"] if x["loading"]]
        after = [x for x in r["presses"] if not x["loading"]]
        timeouts = sum(1 for x in r["presses"] if x["latency"] is None)
        p(
            f"| {r['run']} | {r['first_row'] * 1000:.0f} ms | {r['loaded']:.2f} s | {r['status_loaded'][:60]} | "
            f"{r['vmhwm_kb'] / 1024:.1f} MB | {r['rss_at_load_kb'] / 1024:.1f} MB | {len(during)} / {len(after)} | {timeouts} | {r['exit']} | "
            f"{r['others_cpu_loading']:.2f} s | {r['load_avg'][0]:.2f} -> {r['load_avg'][1]:.2f} |"
        )
    p("")
    p("Key latency, key written to the first byte of the frame that shows it (ms), all runs:")
    p("")
    p("| phase | key | n | median | p95 | max | last byte max | first output of any kind, median | interface thread CPU, median / max |")
    p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    allp = [x for r in runs for x in r["presses"]]
    for phase, sel in (("loading", True), ("loaded", False)):
        ps = [x for x in allp if x["loading"] == sel]
        names = []
        for x in ps:
            if x["key"] not in names:
                names.append(x["key"])
        for name in names + ["all keys"]:
            xs = ps if name == "all keys" else [x for x in ps if x["key"] == name]
            med, p95, mx, n = summarize([x["latency"] for x in xs])
            lb = summarize([x["last_byte"] for x in xs])[2]
            fo = summarize([x["first_output"] for x in xs])[0]
            label = f"**{name}**" if name == "all keys" else f"`{name}`"
            cpu = summarize([x.get("ui_cpu") for x in xs])
            p(f"| {phase} | {label} | {n} | {med} | {p95} | {mx} | {lb} | {fo} | {cpu[0]} / {cpu[2]} |")
    ladder = [x.get("ladder_ready") for x in allp if x["key"] == "Enter"]
    if ladder:
        med, p95, mx, n = summarize(ladder)
        p("")
        p(f"Enter until the ladder is filled (connection traced again on the helper thread): median {med} ms, max {mx} ms (n={n}).")
    p("")
    for r in runs:
        cpu = ", ".join(
            f"{k} {v[0]:.2f} s" + (f" (waited {v[1]:.2f} s for a CPU)" if v[1] is not None else "")
            for k, v in sorted(r["cpu_at_load"].items(), key=lambda kv: -kv[1][0])
            if v[0] >= 0.01
        )
        rss = ", ".join(f"{t:.1f} s {kb / 1024:.0f} MB" for t, kb in r["rss"][:: max(1, len(r["rss"]) // 8)])
        p(
            f"run {r['run']}: CPU per thread by the end of loading (sampled every 50 ms from /proc/PID/task; "
            f"the main thread is the interface): {cpu}; RSS: {rss}; frames while loading {r['loading_frames']} "
            f"({r['loading_frames_invisible']} with nothing visible); idle after loading: {r['idle_frames']} frames in "
            f"{r['idle_seconds']:.0f} s, {r['idle_visible']} with a visible change"
        )
    return "\n".join(lines)


def write_benchmarks(path, text, capture):
    """Replaces the figures between this capture's markers (appends a section if missing)."""
    name = os.path.basename(capture)
    BEGIN, END = f"<!-- tui-bench {name}: begin -->", f"<!-- tui-bench {name}: end -->"
    with open(path) as f:
        doc = f.read()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc and END in doc:
        doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip("\n") + "\n\n## Interactive explorer (`read --tui`)\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", default=DEFAULT_FILE)
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/tlstrace"))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--letter", default="e", help="letter typed into the filter line")
    ap.add_argument("--reps-after", type=int, default=3, help="key sequences after loading")
    ap.add_argument("--gap", type=float, default=0.12, help="seconds between keys")
    ap.add_argument("--idle", type=float, default=2.0, help="seconds watched without keys at the end")
    ap.add_argument("--timeout-key", type=float, default=5.0)
    ap.add_argument("--timeout-load", type=float, default=120.0)
    ap.add_argument("--extra", default="", help="more arguments for `read --tui`, one string (e.g. --extra='--threads 1')")
    ap.add_argument("--write-benchmarks", action="store_true", help="replace the figures in BENCHMARKS.md")
    ap.add_argument("--json", help="also write every measurement (each key, RSS over time) to this file")
    args = ap.parse_args()
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        if subprocess.run(["git", "-C", REPO, "diff", "--quiet", "HEAD", "--", "src"]).returncode != 0:
            commit += " (src/ modified)"
    except OSError:
        commit = "?"
    runs = []
    for n in range(1, args.runs + 1):
        r = one_run(args, n)
        runs.append(r)
        print(f"run {n}: first row {r['first_row'] * 1000:.0f} ms, loaded {r['loaded']:.2f} s, VmHWM {r['vmhwm_kb'] / 1024:.1f} MB, exit {r['exit']}", file=sys.stderr)
        time.sleep(1)
    text = report(args, runs, commit)
    text += f"\n\nThis script used {self_cpu():.2f} s of CPU over the {len(runs)} run(s) (it shares the CPUs too)."
    print(text)
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump({"commit": commit, "runs": runs}, f, indent=1)
    if args.write_benchmarks:
        write_benchmarks(os.path.join(REPO, "BENCHMARKS.md"), text, args.file)
    bad = [r for r in runs if r["exit"] != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
