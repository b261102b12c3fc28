# SPDX-License-Identifier: BSD-3-Clause
"""A ClickHouse server of the test's own (Debian's clickhouse-server, 18.16):
started from a configuration in a temporary directory, listening on
127.0.0.1 only, on free ports; its data, logs and temporary files inside that
directory. Queries go over the HTTP interface (urllib; no client binary).

    with ClickHouseServer(tmp) as ch:
        ch.query("SELECT 1")
        ch.kill(); ch.start()      # SIGKILL, then again on the same ports and data
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER = "/usr/sbin/clickhouse-server"
# The password of the user "spanflow" (the URL: spanflow:s3cr%40t:x@...).
PASSWORD = "s3cr@t:x"

# The least 18.16 starts with: without <users>, <profiles> and <quotas> it
# refuses (or reads /etc/clickhouse-server/users.xml); caches are made small
# (the defaults reserve gigabytes); no interserver or https ports.
CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{dir}/log/server.log</log>
        <errorlog>{dir}/log/error.log</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <path>{dir}/data/</path>
    <tmp_path>{dir}/tmp/</tmp_path>
    <user_files_path>{dir}/user_files/</user_files_path>
    <format_schema_path>{dir}/format_schemas/</format_schema_path>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <max_concurrent_queries>50</max_concurrent_queries>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <!-- A user with a password: spanflow's URL userinfo. -->
        <spanflow>
            <password>{password}</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </spanflow>
    </users>
    <profiles><default></default></profiles>
    <quotas><default></default></quotas>
    <!-- One shard, this server: the README's Distributed recipe runs on it. -->
    <remote_servers>
        <spanflow_test>
            <shard><replica><host>127.0.0.1</host><port>{tcp_port}</port></replica></shard>
        </spanflow_test>
    </remote_servers>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
</yandex>
"""


def skip_reason():
    """Why the ClickHouse tests cannot run here, or None."""
    if not os.path.exists(SERVER):
        return "%s is not installed (apt-get install clickhouse-server)" % SERVER
    if os.geteuid() != 0:
        return "the test server runs as root (its data directory is the test's)"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClickHouseServer:
    def __init__(self, tmp):
        self.dir = os.path.join(str(tmp), "clickhouse")
        self.http_port = free_port()
        self.tcp_port = free_port()
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.http_port

    def __enter__(self):
        os.makedirs(os.path.join(self.dir, "log"), exist_ok=True)
        with open(os.path.join(self.dir, "config.xml"), "w") as f:
            f.write(CONFIG.format(dir=self.dir, http_port=self.http_port,
                                  tcp_port=self.tcp_port, password=PASSWORD))
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def start(self, timeout=60):
        """Start (or restart) the server and wait until GET /ping says Ok."""
        self.out = open(os.path.join(self.dir, "log", "stdout.log"), "a")
        self.proc = subprocess.Popen([SERVER, "--config-file=" + os.path.join(self.dir,
                                      "config.xml")], cwd=self.dir, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("clickhouse-server exited (%d): %s" %
                                   (self.proc.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=2) as r:
                    if r.read().startswith(b"Ok"):
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise RuntimeError("clickhouse-server did not answer /ping in %d s: %s" %
                           (timeout, self.log_tail()))

    def kill(self):
        """SIGKILL and wait: nothing is flushed, as when a machine dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=60)
        self.proc = None
        if getattr(self, "out", None) is not None:
            self.out.close()
            self.out = None

    def log_tail(self, n=1500):
        text = ""
        for name in ("stdout.log", "error.log"):
            try:
                with open(os.path.join(self.dir, "log", name), errors="replace") as f:
                    text += f.read()[-n:]
            except OSError:
                pass
        return text

    def query(self, sql, timeout=60):
        """The answer's text (TabSeparated by default); an error raises RuntimeError."""
        req = urllib.request.Request(self.url + "/", data=sql.encode())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s: %s" % (sql[:80], e.read().decode(errors="replace")))

    def rows(self, sql):
        """A query's rows as lists of strings (TabSeparated)."""
        return [line.split("\t") for line in self.query(sql).splitlines()]

    def insert(self, table, body, fmt):
        q = urllib.parse.quote("INSERT INTO %s FORMAT %s" % (table, fmt))
        req = urllib.request.Request(self.url + "/?query=" + q, data=body)
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.read()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
