#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The dashboard's Now section in a real browser (Chromium driven by Selenium)
against a live capture.

A veth pair joins a network namespace of the test's own to this one;
`spanflow -i` captures the end in this namespace (tpacket rings,
`--interval 1s`, HTTP on 127.0.0.1 with a bearer token). From inside the
namespace two senders run for the whole test: a long UDP transfer
10.199.0.1:40000 -> 10.199.0.2:5001 at about 3.4 Mbit/s (a UDP socket), and
ICMP echo requests 10.200.0.3 -> 10.200.0.4 on VLAN 12 at 20 packets/s,
carried in VXLAN (VNI 5001; frames written whole on a packet socket). Their frames
are addressed to a MAC nobody has, so they cross the veth and stop there.

Checks:
 1. the long transfer, still running, appears in the Now top-flows table as
    active within two intervals and one page refresh (plus slack for a
    loaded machine) of its first packet;
 2. a host filter typed into the control (the page refreshing meanwhile,
    the typed text and the focus kept) narrows every table and chart:
    every flow involves the host, the other sender's hosts leave the
    talkers, flows and chart legends, protocols and ports hold only UDP,
    the VLAN and tunnel tables empty, the summary counts only the filtered
    flow's packets; the filter is in the address, and an address with
    vni=5001 opens the page narrowed to the tunnelled flow; a bad filter
    value is answered with a message naming it;
 3. units and names render: "udp" and "icmp" rather than 17 and 1, kB/MB,
    kbit/s/Mbit/s agreeing with the exact value in the tooltip, the
    transfer's bytes its packets times their size, and its bit/s in the
    last interval near the rate its sender measured;
 4. no console errors (Chromium's log has no SEVERE entry);
 5. a refresh updates the rows in place: the same <tr> objects stay, no
    row is added or removed while their text changes;
 6. screenshots kept in the build directory: dashboard_live.png (all
    traffic) and dashboard_live_filtered.png (host filter).

Exit 77 (skipped, the reason printed) without root, iproute2, Chromium,
chromedriver or Selenium (Debian: chromium, chromium-driver,
python3-selenium; tools/setup.sh --test installs them).

Usage: test_dashboard_live.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from test_http import Server  # noqa: E402

TOKEN = "dash-t0ken"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEBIAN_PYTHON = "/usr/bin/python3"
INTERVAL_S = 1.0
REFRESH_S = 2.0		# the page's refresh period (REFRESH_MS), when the interval is shorter
SLACK_S = 2.0		# a loaded machine: page load, fetch and render
NET = "10.199.0."
LONG_SRC, LONG_DST, LONG_SPORT, LONG_DPORT = NET + "1", NET + "2", 40000, 5001
OUTER_SRC, OUTER_DST = NET + "3", NET + "4"	# the VXLAN tunnel's ends
ICMP_SRC, ICMP_DST = "10.200.0.3", "10.200.0.4"	# inside it
VLAN, VNI = 12, 5001
NOBODY_MAC = "02:00:5e:10:99:02"
UDP_PAYLOAD = 1400
UDP_PPS = 300
IP_BYTES = UDP_PAYLOAD + 8 + 20	# what spanflow counts of a packet: its IP length

# Senders, run inside the namespace: they write "seconds packets" to a file
# every half second (the rate they achieved, for check 3) and run until killed.
# "udp": a UDP socket to dst (the neighbour entry gives the MAC); "vxlan": ICMP
# echo requests src -> dst on a VLAN, in VXLAN (VNI) between the tunnel ends,
# written on a packet socket of the device. (A flow's VLAN is its innermost.)
SENDER = r'''
import socket, struct, sys, time
kind, src, dst, pps, size, progress = sys.argv[1:7]
pps, size = int(pps), int(size)
def csum(b):
    c = sum(struct.unpack("!%%dH" %% (len(b) // 2), b))
    c = (c >> 16) + (c & 0xffff)
    return ~(c + (c >> 16)) & 0xffff
def ipv4(s, d, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    socket.inet_aton(s), socket.inet_aton(d))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
if kind == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, %(sport)d))
    data, to = b"x" * size, (dst, %(dport)d)
    send = lambda seq: s.sendto(data, to)
else:
    dev, mac = sys.argv[7], bytes.fromhex("%(mac)s".replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    me = b"\x02\x00\x5e\x10\x99\x01"
    def send(seq):
        icmp = struct.pack("!BBHHH", 8, 0, 0, 4242, seq & 0xffff) + b"p" * size
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        inner = mac + me + struct.pack("!HHH", 0x8100, %(vlan)d, 0x0800) + \
            ipv4(src, dst, 1, icmp)
        vxlan = struct.pack("!II", 0x08000000, %(vni)d << 8) + inner
        udp = struct.pack("!HHHH", 49152, 4789, 8 + len(vxlan), 0) + vxlan
        s.send(mac + me + b"\x08\x00" + ipv4("%(osrc)s", "%(odst)s", 17, udp))
t0 = time.monotonic()
sent, last = 0, 0.0
while True:
    now = time.monotonic() - t0
    while sent < int(now * pps) + 1:
        send(sent)
        sent += 1
    if now - last >= 0.5:
        last = now
        with open(progress, "w") as f:
            f.write("%%.3f %%d\n" %% (now, sent))
    time.sleep(0.005)
''' % dict(sport=LONG_SPORT, dport=LONG_DPORT, mac=NOBODY_MAC, vni=VNI, vlan=VLAN,
           osrc=OUTER_SRC, odst=OUTER_DST)


def selenium_or_reexec():
    """Why Selenium cannot run here, or None. Debian's python3-selenium is for
    Debian's python3: under another interpreter (meson may find one first) the
    test runs itself again under /usr/bin/python3."""
    try:
        import selenium  # noqa: F401
        return None
    except ImportError:
        pass
    if (os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and
            os.access(DEBIAN_PYTHON, os.X_OK) and subprocess.run(
                [DEBIAN_PYTHON, "-c", "import selenium"], capture_output=True).returncode == 0):
        sys.stdout.flush()
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    return "Selenium is not installed (Debian package python3-selenium)"


def skip_reason():
    if os.geteuid() != 0:
        return "not running as root (a network namespace and a veth pair need it)"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return "%s is missing (Debian package chromium)" % CHROMIUM
    if not os.access(CHROMEDRIVER, os.X_OK):
        return "%s is missing (Debian package chromium-driver)" % CHROMEDRIVER
    return selenium_or_reexec()


class Veth:
    """A namespace holding end A of a veth pair, end B here; A has the senders'
    addresses and a neighbour entry per destination pointing at a MAC nobody
    has, so frames cross the veth and are dropped past it. Removed on exit."""

    def __init__(self):
        tag = "sfd%d" % (os.getpid() % 100000)
        self.ns, self.a, self.b = tag, tag + "a", tag + "b"

    def __enter__(self):
        try:
            sf.sh("ip", "netns", "add", self.ns)
            sf.sh("ip", "link", "add", self.a, "type", "veth", "peer", "name", self.b)
            sf.sh("ip", "link", "set", self.a, "netns", self.ns)
            # No traffic of the kernel's own (IPv6 DAD, router solicitations).
            sf.sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.b)
            sf.sh("ip", "link", "set", self.b, "up")
            ns = ["ip", "netns", "exec", self.ns]
            sf.sh(*ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sf.sh("ip", "-n", self.ns, "addr", "add", LONG_SRC + "/24", "dev", self.a)
            sf.sh("ip", "-n", self.ns, "link", "set", self.a, "up")
            sf.sh("ip", "-n", self.ns, "link", "set", "lo", "up")
            sf.sh("ip", "-n", self.ns, "neigh", "replace", LONG_DST, "lladdr", NOBODY_MAC,
                  "nud", "permanent", "dev", self.a)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        sf.sh("ip", "netns", "del", self.ns, check=False)
        sf.sh("ip", "link", "del", self.b, check=False)
        return False


class Sender:
    def __init__(self, veth, tmp, kind, src, dst, pps, size):
        self.progress = Path(tmp) / ("%s.progress" % kind)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", veth.ns, sys.executable, "-c", SENDER, kind, src, dst,
             str(pps), str(size), str(self.progress), veth.a],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def rate(self):
        """(seconds, packets) the sender reported last."""
        try:
            t, n = self.progress.read_text().split()
            return float(t), int(n)
        except (OSError, ValueError):
            return 0.0, 0

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


# What the page shows, read in one script: rows as [[text, tooltip]].
READ_JS = r"""
const rows = id => [...document.querySelectorAll("#" + id + " tbody tr")].map(
	tr => [...tr.cells].map(td => [td.textContent, td.title]));
const legend = id => [...document.querySelectorAll("#" + id + "-legend > span")].map(
	s => s.textContent);
const sum = document.getElementById("now-summary");
return {
	updates: Number(document.getElementById("now").dataset.updates),
	flows: rows("now-flows"), talkers: rows("now-talkers"), ports: rows("now-ports"),
	protocols: rows("now-protocols"), vlans: rows("now-vlans"), tunnels: rows("now-tunnels"),
	legend_proto: legend("now-chart-proto"), legend_talkers: legend("now-chart-talkers"),
	lines_proto: document.querySelectorAll("#now-chart-proto polyline").length,
	lines_talkers: document.querySelectorAll("#now-chart-talkers polyline").length,
	summary: [sum.textContent, sum.title],
	filter: document.getElementById("now-filter-active").textContent,
	error: document.getElementById("now-error").textContent,
	hash: location.hash,
	host_input: document.getElementById("f-host").value,
	focus: document.activeElement ? document.activeElement.id : "",
};
"""


def text(cell):
    return cell[0].strip()


def exact(cell):
    """The exact number at the start of a cell's tooltip ("1,234 bytes ...")."""
    head = cell[1].split(" ")[0].replace(",", "")
    try:
        return float(head)
    except ValueError:
        return None


class Page:
    def __init__(self, driver):
        self.d = driver
        self.log = []

    def read(self):
        return self.d.execute_script(READ_JS)

    def logs(self):
        self.log += self.d.get_log("browser")
        return self.log

    def wait(self, cond, timeout):
        """The first state for which cond(state) holds, or None after timeout s."""
        end = time.time() + timeout
        while time.time() < end:
            st = self.read()
            if cond(st):
                return st
            time.sleep(0.1)
        return None

    def wait_updates(self, n, timeout=15):
        """Wait until the Now section has been updated n more times."""
        start = self.read()["updates"]
        return self.wait(lambda s: s["updates"] >= start + n, timeout)


def long_row(st):
    for r in st["flows"]:
        if text(r[0]) == "%s:%d" % (LONG_SRC, LONG_SPORT) and \
                text(r[1]) == "%s:%d" % (LONG_DST, LONG_DPORT):
            return r
    return None


def main():
    binary, _ = sf.usage_args()
    why = skip_reason()
    if why:
        print("cannot run: " + why)
        sys.exit(77)
    ck = sf.Checker("dashboard Now section in Chromium (Selenium) on a live capture")
    build_dir = Path(os.environ.get("MESON_BUILD_ROOT") or Path(binary).resolve().parents[2])
    tmp = tempfile.mkdtemp(prefix="sf_dash_live_")
    senders = []
    driver = None
    try:
        with Veth() as v:
            args = ["-i", v.b, "-w", "1", "--interval", "1s"]
            with Server(binary, args, tmp, token=TOKEN) as srv:
                up = wait_up(srv)
                if not ck.check(up, "spanflow captures %s and serves HTTP" % v.b,
                                sf.tail(srv.stderr())):
                    ck.finish()
                icmp = Sender(v, tmp, "vxlan", ICMP_SRC, ICMP_DST, 20, 100)
                senders.append(icmp)
                driver = browser()
                page = Page(driver)
                run_checks(ck, srv, v, tmp, page, senders, build_dir)
                ck.check(all(s.alive() for s in senders), "the senders ran throughout",
                         "; ".join(s.proc.stderr.read() for s in senders if not s.alive()))
    finally:
        for s in senders:
            s.stop()
        if driver is not None:
            driver.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


def wait_up(srv, timeout=60):
    end = time.time() + timeout
    while time.time() < end and srv.alive():
        try:
            if srv.json("/api/v1/summary").get("live"):
                return True
        except (OSError, RuntimeError, ValueError):
            pass
        time.sleep(0.2)
    return False


def run_checks(ck, srv, v, tmp, page, senders, build_dir):
    d = page.d
    code, body, _ = srv.get("/api/v1/live")
    if not ck.check(code == 200, "the server has the live view (/api/v1/live)", body[:200]):
        return
    d.get(srv.base + "/#token=" + TOKEN)
    st = page.wait(lambda s: s["updates"] >= 1 and any(
        text(r[0]) == ICMP_SRC for r in s["flows"]), 20)
    if not ck.check(st is not None, "the page loaded and its Now section shows the ICMP "
                    "sender's flow", page.read()):
        return

    # 1. The long transfer appears while it runs.
    udp = Sender(v, tmp, "udp", LONG_SRC, LONG_DST, UDP_PPS, UDP_PAYLOAD)
    senders.append(udp)
    t0 = time.time()
    limit = 2 * INTERVAL_S + REFRESH_S + SLACK_S
    st = page.wait(lambda s: long_row(s) is not None, 30)
    seen = time.time() - t0
    row = long_row(st) if st else None
    ck.check(row is not None and seen <= limit and text(row[8]) == "active",
             "the running transfer %s:%d -> %s:%d is in the top flows, active, %.1f s after "
             "its start (at most 2 intervals + a refresh + %.0f s slack: %.1f s)"
             % (LONG_SRC, LONG_SPORT, LONG_DST, LONG_DPORT, seen, SLACK_S, limit), row)

    # 3. Units and names (all traffic; let a few intervals pass for steady rates).
    page.wait_updates(3)
    st = page.read()
    protos = [text(r[0]) for r in st["protocols"]]
    ck.check(set(protos) == {"udp", "icmp"} and
             {text(r[2]) for r in st["flows"]} == {"udp", "icmp"},
             "protocols by name in the protocol and flow tables (udp, icmp; not 17, 1)",
             "%s %s" % (protos, [r[2] for r in st["flows"]]))
    bad, units = [], set()
    for tid in ("flows", "talkers", "ports", "protocols", "vlans"):
        for c in (c for r in st[tid] for c in r):
            m = re.fullmatch(r"[\d.]+ ([kMGTP]?)(B|bit/s)", text(c))
            if m:
                units.add(m.group(1) + m.group(2))
                if exact(c) is None or not sf.si_text_ok(text(c), exact(c), m.group(2)):
                    bad.append((tid, c))
    ck.check(not bad and units & {"kB", "MB"} and units & {"kbit/s", "Mbit/s"},
             "bytes in kB/MB and rates in kbit/s/Mbit/s, each agreeing with the exact value "
             "of its tooltip (units seen: %s)" % sorted(units), bad[:5])
    row = long_row(st)
    ck.check(row is not None and exact(row[5]) == exact(row[4]) * IP_BYTES > 0,
             "the transfer's bytes are its packets times %d (each datagram's IP length)"
             % IP_BYTES, row)
    icmp_rows = [r for r in st["flows"] if text(r[0]) == ICMP_SRC]
    icmp_pk = exact(icmp_rows[0][4]) if icmp_rows else None
    ck.check(len(icmp_rows) == 1 and text(icmp_rows[0][3]) == "vni %d, vlan %d" % (VNI, VLAN)
             and [[text(c) for c in r[:1]] + [exact(r[1])] for r in st["vlans"]] ==
             [[str(VLAN), icmp_pk]] and
             [[text(r[0]), exact(r[1])] for r in st["tunnels"]] == [["vni %d" % VNI, icmp_pk]],
             "the tunnelled ICMP flow: via VNI %d on VLAN %d, and alone in the VLAN and tunnel "
             "tables (%s packets)" % (VNI, VLAN, icmp_pk),
             "%s %s %s" % (icmp_rows, st["vlans"], st["tunnels"]))

    # The transfer's rate in the last interval, against the sender's own count.
    from selenium.webdriver.support.ui import Select
    Select(d.find_element("id", "now-scope")).select_by_value("last")
    st = page.wait(lambda s: s["summary"][0].startswith("last interval") and
                   long_row(s) is not None, 10)
    row = long_row(st) if st else None
    secs, sent = udp.rate()
    want = sent * IP_BYTES * 8 / secs if secs else 0
    got = exact(row[7]) if row else None
    ck.check(got is not None and 0.6 * want <= got <= 1.4 * want and
             text(row[7]).endswith("Mbit/s") and "scope=last" in st["hash"],
             "last interval: the transfer's bit/s reads %s, near the %.2f Mbit/s its sender "
             "measured" % (text(row[7]) if row else None, want / 1e6), row)
    Select(d.find_element("id", "now-scope")).select_by_value("300")
    st = page.wait(lambda s: s["summary"][0].startswith("last ") and
                   not s["summary"][0].startswith("last interval"), 10)
    ck.check(len(st["legend_proto"]) == st["lines_proto"] and
             set(st["legend_proto"]) == {"udp", "icmp"} and
             {LONG_SRC, ICMP_SRC} <= set(st["legend_talkers"]) and
             st["lines_talkers"] == len(st["legend_talkers"]),
             "charts: one line per protocol (udp, icmp) and per top talker, named in the "
             "legends", "%s %s" % (st["legend_proto"], st["legend_talkers"]))
    ck.check(ICMP_SRC in [text(r[0]) for r in st["talkers"]] and
             "no filter" in st["filter"],
             "without a filter the other sender's host is among the talkers", st["talkers"])

    # 5. Rows are updated in place.
    d.execute_script(r"""
		window.sfMut = { rows: 0, text: 0 };
		window.sfRow = document.querySelector("#now-flows tbody tr");
		window.sfRow.sfMark = "kept";
		for (const id of ["now-flows", "now-talkers", "now-protocols", "now-ports"]) {
			const body = document.querySelector("#" + id + " tbody");
			new MutationObserver(ms => ms.forEach(m => {
				if (m.target === body)
					window.sfMut.rows += m.addedNodes.length + m.removedNodes.length;
				else
					window.sfMut.text++;
			})).observe(body, { childList: true, subtree: true, characterData: true });
		}""")
    page.wait_updates(3)
    m = d.execute_script("return [window.sfMut, window.sfRow.isConnected, "
                         "document.querySelector('#now-flows tbody tr') === window.sfRow && "
                         "window.sfRow.sfMark]")
    ck.check(m[0]["rows"] == 0 and m[0]["text"] > 0 and m[1] and m[2] == "kept",
             "three refreshes changed %d cells in place and added or removed no row; the "
             "first row is the same <tr> object" % m[0]["text"], m)

    shot = build_dir / "dashboard_live.png"
    d.save_screenshot(str(shot))
    ck.check(shot.exists() and shot.stat().st_size > 10000, "screenshot saved: %s" % shot)

    # 2. A host filter, typed while the page refreshes.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    box = d.find_element(By.ID, "f-host")
    box.click()
    box.send_keys(LONG_SRC[:6])
    st = page.wait_updates(2)
    ck.check(st is not None and st["host_input"] == LONG_SRC[:6] and st["focus"] == "f-host",
             "text typed into the host filter and its focus survive two refreshes",
             st and (st["host_input"], st["focus"]))
    box.send_keys(LONG_SRC[6:] + Keys.ENTER)
    st = page.wait(lambda s: "host " + LONG_SRC in s["filter"], 10)
    st = page.wait_updates(1) if st else None
    ck.check(st is not None and "host=" + LONG_SRC in st["hash"] and
             "token=" + TOKEN in st["hash"],
             "the applied filter is shown and is in the address (%s)"
             % (st["hash"] if st else None), st and st["filter"])
    if st is not None:
        check_filtered(ck, st)
        shot = build_dir / "dashboard_live_filtered.png"
        d.save_screenshot(str(shot))
        ck.check(shot.exists() and shot.stat().st_size > 10000,
                 "screenshot saved: %s" % shot)

    # The address shares the view: opened anew with a VNI.
    d.get("about:blank")
    d.get(srv.base + "/#token=%s&vni=%d" % (TOKEN, VNI))
    st = page.wait(lambda s: s["updates"] >= 1 and "VNI %d" % VNI in s["filter"], 20)
    ck.check(st is not None and st["flows"] and
             d.execute_script("return document.getElementById('f-vni').value") == str(VNI) and
             [(text(r[0]), text(r[1])) for r in st["flows"]] == [(ICMP_SRC, ICMP_DST)] and
             [text(r[0]) for r in st["protocols"]] == ["icmp"] and
             {text(r[0]) for r in st["talkers"]} == {ICMP_SRC, ICMP_DST} and
             st["legend_proto"] == ["icmp"],
             "an address with vni=%d opens the page filtered: the input filled, only the "
             "tunnelled ICMP flow in flows, talkers, protocols and chart" % VNI,
             st and (st["flows"], st["protocols"], st["talkers"]))

    # A bad value: the API's message, naming the parameter. (Chromium logs the
    # 400 answers as errors: those, and only those, are expected here.)
    before = len(page.logs())
    box = d.find_element(By.ID, "f-port")
    box.send_keys("99999" + Keys.ENTER)
    st = page.wait(lambda s: s["error"] != "", 10)
    ck.check(st is not None and "port" in st["error"] and "400" in st["error"],
             "a bad port is refused with the API's message naming it: %r"
             % (st["error"] if st else None))
    time.sleep(REFRESH_S)
    expected = [e for e in page.logs()[before:] if e.get("level") == "SEVERE"]
    page.log = page.log[:before] + [e for e in page.log[before:] if e not in expected]
    ck.check(all("/api/v1/live" in e["message"] and " 400 " in e["message"]
                 for e in expected),
             "the console's errors meanwhile are the refused requests (%d)" % len(expected),
             expected)
    d.find_element(By.ID, "f-clear").click()
    st = page.wait(lambda s: s["error"] == "" and "no filter" in s["filter"], 10)
    ck.check(st is not None and st["host_input"] == "" and
             ICMP_SRC in [text(r[0]) for r in st["talkers"]] and
             LONG_SRC in [text(r[0]) for r in st["talkers"]],
             "Clear shows all traffic again", st and st["talkers"])

    check_search(ck, srv, page)

    # 4. The console.
    severe = [e for e in page.logs() if e.get("level") == "SEVERE"]
    ck.check(not severe, "no console errors (%d log entries, none SEVERE)"
             % len(page.logs()), severe[:5])


def check_filtered(ck, st):
    """Every table and chart of the Now section holds only the long transfer."""
    mine = {LONG_SRC, LONG_DST}
    others = {ICMP_SRC, ICMP_DST}
    flows = st["flows"]
    ck.check(flows and all(LONG_SRC in (text(r[0]).split(":")[0], text(r[1]).split(":")[0])
                           for r in flows),
             "filtered top flows: every row involves %s" % LONG_SRC, flows)
    hosts = {text(r[0]) for r in st["talkers"]}
    ck.check(LONG_SRC in hosts and hosts <= mine,
             "filtered talkers: %s and its peer only, the other sender gone" % LONG_SRC, hosts)
    ports = [text(r[0]) for r in st["ports"]]
    ck.check(ports and all(p.startswith("udp/") for p in ports) and
             ("udp/%d" % LONG_DPORT in ports or "udp/%d" % LONG_SPORT in ports),
             "filtered ports: the transfer's UDP ports only", ports)
    ck.check([text(r[0]) for r in st["protocols"]] == ["udp"],
             "filtered protocols: udp only", st["protocols"])
    pk = [exact(r[1]) for r in st["protocols"]]
    flow_pk = sum(exact(r[4]) for r in flows)
    summary_pk = None
    if st["summary"][1]:
        summary_pk = float(st["summary"][1].split(" packets")[0].split(", ")[-1])
    ck.check(pk == [flow_pk] and summary_pk == flow_pk and not st["vlans"] and
             not st["tunnels"],
             "filtered protocols and summary count the transfer's %s packets only; the "
             "VLAN and tunnel tables are empty (the tunnelled ICMP flow left out)" % flow_pk,
             "%s flows %s summary %s vlans %s tunnels %s" % (pk, flow_pk, st["summary"],
                                                          st["vlans"], st["tunnels"]))
    ck.check(st["legend_proto"] == ["udp"] and st["lines_proto"] == 1 and
             set(st["legend_talkers"]) <= mine and LONG_SRC in st["legend_talkers"] and
             not set(st["legend_talkers"]) & others and
             st["lines_talkers"] == len(st["legend_talkers"]),
             "filtered charts: a udp line only; talker lines only for %s and its peer"
             % LONG_SRC, "%s %s" % (st["legend_proto"], st["legend_talkers"]))
    seen = {x for tid in ("flows", "talkers") for r in st[tid] for c in r
            for x in others if x in text(c)}
    ck.check(not seen, "the other sender's addresses appear nowhere in the filtered view",
             seen)


def check_search(ck, srv, page):
    """The active-flow search, when the server has it (/api/v1/flows)."""
    st, _, _ = srv.get("/api/v1/flows?n=1")
    if st == 404:
        ck.note("no /api/v1/flows on this server: the search box is not checked")
        return
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    d = page.d
    box = d.find_element(By.ID, "f-host")
    box.send_keys(ICMP_SRC + Keys.ENTER)
    page.wait(lambda s: "host " + ICMP_SRC in s["filter"], 10)
    d.find_element(By.ID, "search-go").click()
    end = time.time() + 10
    rows, status = [], ""
    while time.time() < end:
        rows, status = d.execute_script(
            "return [[...document.querySelectorAll('#search tbody tr')].map(tr => "
            "[...tr.cells].map(td => td.textContent)), "
            "document.getElementById('search-status').textContent]")
        if rows or "match" in status:
            break
        time.sleep(0.1)
    ck.check(rows and all(ICMP_SRC in (r[0], r[1]) for r in rows) and
             [r[2] for r in rows] == ["icmp"] * len(rows) and "match" in status,
             "search active flows with host %s: its ICMP flow only (%s)" % (ICMP_SRC, status),
             rows)
    d.find_element(By.ID, "f-clear").click()


if __name__ == "__main__":
    main()
