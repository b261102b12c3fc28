#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
`meson install` into a DESTDIR: every file in place, with its mode.

The build directory is the one the spanflow binary under test was built in;
its options (prefix, sbindir, sysconfdir, datadir, mandir,
systemd_unit_dir) say where each file goes. Checks:
  * the binary in sbindir (executable), the configuration in
    sysconfdir/spanflow/spanflow.yaml, the ClickHouse schema (and any other
    shipped file of config/) in datadir/spanflow, spanflow(8) in
    mandir/man8, the unit spanflow@.service (unless systemd_unit_dir=no);
    data files mode 0644;
  * the manual page renders without a warning (groff -man -ww), names
    every option --help names, and has the sections a manual page of
    section 8 has (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, FILES, SIGNALS,
    EXIT STATUS, SEE ALSO);
  * the unit starts the installed binary on the installed configuration
    with -i and the instance, restarts on failure, reloads with SIGHUP and
    gives the stop longer than shutdown.flush_timeout and the exporters'
    waits; `systemd-analyze verify` accepts it (when systemd-analyze is
    installed);
  * the installed binary's --help names the installed configuration, not
    the source tree; --print-config -c on the installed configuration
    parses it, without the demo's input; run without arguments, the
    installed binary does not read the source tree's demo.

Exit 77 (skipped) without meson.

Usage: test_install.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

MAN_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "SIGNALS",
                "EXIT STATUS", "SEE ALSO"]


def build_dir_of(binary):
    for p in Path(binary).resolve().parents:
        if (p / "meson-private").is_dir() and (p / "build.ninja").exists():
            return p
    return None


def options_of(meson, build):
    r = subprocess.run([meson, "introspect", str(build), "--buildoptions"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return {o["name"]: o["value"] for o in json.loads(r.stdout)}


def under(dest, path):
    """path (absolute, or relative to nothing) inside the DESTDIR."""
    return Path(str(dest) + "/" + str(path).lstrip("/"))


def mode_of(p):
    return stat.S_IMODE(p.stat().st_mode)


def seconds(text):
    """A duration as --print-config writes it (30s, 5m, 500ms, 1h) in seconds."""
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s|m|h|d)?", text.strip().strip('"'))
    if m is None:
        return None
    mult = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, None: 1, "m": 60, "h": 3600,
            "d": 86400}[m.group(2)]
    return float(m.group(1)) * mult


def setting(dump, section, key):
    """A value of --print-config's YAML (two levels: section, key)."""
    cur = None
    for line in dump.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            cur = line[:-1]
        elif cur == section and line.strip().startswith(key + ":"):
            return line.split(":", 1)[1].split("  #", 1)[0].strip()
    return None


def check_man(ck, page, help_text):
    if shutil.which("groff") is None:
        ck.note("groff is not installed: the manual page is not rendered")
        return
    r = subprocess.run(["groff", "-man", "-ww", "-z", str(page)], capture_output=True,
                       text=True)
    ck.check(r.returncode == 0 and r.stderr.strip() == "",
             "spanflow.8 renders without a warning (groff -man -ww)", r.stderr[-800:])
    # The page's words, from its source: escapes undone, so that line breaks and
    # hyphenation of the rendering do not matter.
    src = page.read_text()
    text = re.sub(r"\\f[BIRP]|\\&", "", src).replace("\\-", "-").replace("\\e", "\\")
    heads = re.findall(r'^\.SH "?([^"\n]+)"?\s*$', src, re.M)
    missing = [h for h in MAN_SECTIONS if h not in heads]
    ck.check(not missing, "spanflow.8 has the sections %s" % ", ".join(MAN_SECTIONS), missing)
    flags = sorted(set(re.findall(r"--[a-z][a-z0-9-]*", help_text)))
    absent = [f for f in flags if f not in text]
    ck.check(len(flags) > 40 and not absent, "spanflow.8 names every option --help names "
             "(%d)" % len(flags), absent)
    # Each setting's key and default, as --help gives them.
    pairs = re.findall(r"\(([a-z_]+(?:\.[a-z_]+)?): ([^)]*)\)", " ".join(help_text.split()))
    wrong = [(k, d) for k, d in pairs
             if "Configuration key %s, default %s." % (k, d) not in " ".join(text.split())]
    ck.check(pairs and not wrong, "spanflow.8 gives each option's configuration key and "
             "default as --help does (%d)" % len(pairs), wrong[:5])
    body = "\n".join(x for x in src.splitlines() if not x.startswith('.\\"'))
    dashes = [w for w in re.findall(r"\S*--\S*", body) if "\\-\\-" not in w]
    ck.check(not dashes, "spanflow.8: the dashes of options are minus signs (\\-)", dashes[:5])
    ck.check("SIGHUP" in text and "reopen" in text.lower(),
             "spanflow.8 says SIGHUP reopens the output files")
    if shutil.which("man"):
        r = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        ck.check(r.returncode == 0 and "spanflow" in r.stdout, "man -l spanflow.8 shows it",
                 r.stderr[-400:])


def check_unit(ck, unit, sbin_path, conf_path, dump, dest):
    text = unit.read_text()
    kv = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            kv.setdefault(k.strip(), v.strip())
    exec_start = kv.get("ExecStart", "")
    ck.check(exec_start.split()[:3] == [str(sbin_path), "-c", str(conf_path)]
             and re.search(r"\s-i %[iI]\b", exec_start) is not None,
             "unit: ExecStart runs the installed binary on the installed configuration, "
             "-i the instance", exec_start)
    ck.check(kv.get("Restart") == "on-failure", "unit: Restart=on-failure", kv.get("Restart"))
    ck.check("-HUP $MAINPID" in kv.get("ExecReload", ""), "unit: reload sends SIGHUP",
             kv.get("ExecReload"))
    ck.check(kv.get("KillSignal", "SIGTERM") in ("SIGTERM", "SIGINT"),
             "unit: the stop signal is spanflow's lossless stop", kv.get("KillSignal"))
    need = sum(seconds(setting(dump, s, k)) or 0 for s, k in (
        ("shutdown", "flush_timeout"), ("export", "ipfix_linger"), ("export", "kafka_linger"),
        ("export", "clickhouse_wait")))
    stop = seconds(kv.get("TimeoutStopSec", "90"))
    ck.check(stop is not None and stop > need,
             "unit: TimeoutStopSec (%s s) exceeds the flush and the exporters' waits (%g s)"
             % (stop, need))
    ck.check(kv.get("LimitMEMLOCK") == "infinity" and
             "CAP_NET_RAW" in kv.get("CapabilityBoundingSet", ""),
             "unit: locked memory unlimited, raw sockets allowed")
    sa = shutil.which("systemd-analyze")
    if sa is None:
        ck.note("systemd-analyze is not installed: the unit is not verified")
        return
    # An instance of the template whose binary is the one in the DESTDIR
    # (verify checks that ExecStart's command exists; --root would also look
    # for systemd's own units there).
    inst = unit.with_name("spanflow@lo.service")
    inst.write_text(text.replace(str(sbin_path), str(under(dest, sbin_path))))
    try:
        r = subprocess.run([sa, "verify", "--man=no", str(inst)], capture_output=True,
                           text=True)
        # Lines about units of the host (not ours) are not this test's.
        ours = [x for x in (r.stdout + r.stderr).splitlines() if "spanflow@" in x]
        ck.check(r.returncode == 0 and not ours, "unit: systemd-analyze verify accepts it",
                 (r.stdout + r.stderr)[-1200:])
    finally:
        inst.unlink()


def main():
    binary, _data = sf.usage_args()
    meson = shutil.which("meson")
    if meson is None:
        print("cannot run: meson is not installed")
        sys.exit(77)
    ck = sf.Checker("meson install into a DESTDIR")
    build = build_dir_of(binary)
    if not ck.check(build is not None, "the build directory of %s" % binary):
        ck.finish()
    opts = options_of(meson, build)
    if not ck.check(opts is not None, "meson introspect %s" % build):
        ck.finish()
    prefix = Path(opts["prefix"])
    sysconf = prefix / opts["sysconfdir"]
    sbin = prefix / opts["sbindir"] / "spanflow"
    conf = sysconf / "spanflow" / "spanflow.yaml"
    data = prefix / opts["datadir"] / "spanflow"
    man = prefix / opts["mandir"] / "man8" / "spanflow.8"
    unit_opt = opts.get("systemd_unit_dir", "")
    unit = None if unit_opt == "no" else (
        Path(unit_opt) if unit_opt else prefix / "lib" / "systemd" / "system") / "spanflow@.service"
    with tempfile.TemporaryDirectory(prefix="sf-install-") as dest:
        r = subprocess.run([meson, "install", "-C", str(build), "--no-rebuild", "--quiet",
                            "--destdir", dest], capture_output=True, text=True)
        if not ck.check(r.returncode == 0, "meson install --destdir %s" % dest,
                        sf.tail(r.stdout + r.stderr, 20)):
            ck.finish()
        files = [(sbin, 0o755), (conf, 0o644), (data / "clickhouse.sql", 0o644), (man, 0o644)]
        extra = sf.REPO / "config" / "spanflow-alerts.yml"
        if extra.exists():
            files.append((data / extra.name, 0o644))
        if unit is not None:
            files.append((unit, 0o644))
        files = [(under(dest, p), m) for p, m in files]
        for p, m in files:
            if ck.check(p.is_file(), "installed: %s" % p.relative_to(dest)):
                ck.check(mode_of(p) == m, "%s: mode %o" % (p.name, m), "%o" % mode_of(p))
        ibin = under(dest, sbin)
        if not ibin.is_file():
            ck.finish()
        h = sf.run(str(ibin), ["--help"])
        ck.check(h.rc == 0 and str(conf) in h.out and str(sf.REPO) not in h.out,
                 "installed --help names %s, not the source tree" % conf, sf.tail(h.out, 12))
        p = sf.run(str(ibin), ["--print-config", "-c", under(dest, conf)])
        ck.check(p.rc == 0 and setting(p.out, "input", "file") == '""',
                 "--print-config -c the installed configuration parses it; input.file is \"\" "
                 "(not the demo's capture)", sf.tail(p.err or p.out))
        if not under(dest, conf).exists() or conf.exists():
            ck.note("%s exists on this machine: the no-argument run is not checked" % conf)
        else:
            q = sf.run(str(ibin), ["--print-config"])
            ck.check(q.rc == 0 and "sample.pcap" not in q.out,
                     "the installed binary without arguments does not read the source "
                     "tree's demo", sf.tail(q.out + q.err))
            q = sf.run(binary, ["--print-config"])
            ck.check(q.rc == 0 and "sample.pcap" in q.out,
                     "the build tree's binary without arguments reads the demo",
                     sf.tail(q.out + q.err))
        check_man(ck, under(dest, man), h.out)
        if unit is not None and under(dest, unit).is_file():
            check_unit(ck, under(dest, unit), sbin, conf, p.out, dest)
    ck.finish()


if __name__ == "__main__":
    main()
