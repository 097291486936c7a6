"""Black-box tests: they run the real almanac binary as an operator or client would."""
import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption("--almanac", default=os.environ.get("ALMANAC_BIN", "build/asan/almanac"),
                     help="path of the almanac binary under test")
    parser.addoption("--cluster", type=int, default=0, metavar="N",
                     help="run every server of the tests as N nodes sharing a log in PostgreSQL, each "
                          "request to the next node in turn (tests/contract/cluster_support.py)")


@pytest.fixture(scope="session")
def almanac(request):
    path = pathlib.Path(request.config.getoption("--almanac"))
    if not path.is_absolute():
        path = ROOT / path
    if not path.exists():
        pytest.fail(f"almanac binary not found at {path}; build it with scripts/build.sh")
    return str(path)


@pytest.fixture
def workdir(tmp_path):
    """A fresh directory; removed afterwards."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


import re
import signal
import socket
import subprocess
import time

import requests


class Server:
    """A running almanac server on a free loopback port with its own data directory."""

    def __init__(self, binary, data_dir, extra_args=()):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.proc = None
        self.base = None
        self.host_port = None

    def start(self, timeout=60):
        args = [self.binary, "serve", "--data", self.data_dir, "--listen", "127.0.0.1:0",
                "--access-log", "off", *self.extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"almanac exited: {self.proc.stderr.read()}")
                continue
            m = re.match(r"listening on (\S+)", line)
            if m:
                self.host_port = m.group(1)
                self.base = f"http://{self.host_port}"
                return self
        raise RuntimeError("almanac did not start listening in time")

    def url(self, path):
        return self.base + path

    def ws_url(self, path):
        return f"ws://{self.host_port}{path}"

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server; returns its exit code and standard error."""
        if self.proc is None:
            return None, ""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        code = self.proc.returncode
        self.proc = None
        return code, err

    def kill(self):
        """kill -9: no chance to flush anything."""
        self.proc.kill()
        self.proc.communicate()
        self.proc = None


@pytest.fixture(scope="session")
def cluster_postgres(request):
    """With --cluster: the PostgreSQL server the clusters' logs live in."""
    if not request.config.getoption("--cluster"):
        yield None
        return
    from cluster_support import Postgres
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture
def make_server(almanac, tmp_path, request, cluster_postgres):
    """Starts servers; every one is stopped at the end of the test.

    make_server(*extra_args, data_dir=None). Rate limits are raised unless a test
    passes its own --rate-limits/--auth-per-minute/--user-per-minute/--rate-policy settings.
    With --cluster N, each server is N nodes on one log in PostgreSQL (a data_dir names
    the log to reuse)."""
    started = []
    logs = {}

    def make(*extra_args, data_dir=None):
        args = list(extra_args)
        if not any(a.startswith(("--rate-limits", "--auth-per-minute", "--user-per-minute", "--rate-policy"))
                   for a in args):
            args += ["--auth-per-minute", "100000", "--user-per-minute", "100000",
                     "--rate-policy", "admin=100000/s"]
        if "--bench-fast-hash" not in args:
            args.append("--bench-fast-hash")  # tests do not need a slow hash
        if cluster_postgres is not None:
            from cluster_support import Cluster, RoundRobinFront
            key = str(data_dir or f"log{len(started)}")
            log = logs.setdefault(key, cluster_postgres.new_log())
            c = Cluster(almanac, cluster_postgres, tmp_path / f"cluster{len(started)}",
                        count=request.config.getoption("--cluster"), extra_args=args, log=log, test_defaults=False)
            front = RoundRobinFront(c.start())
            started.append(front)
            return front
        s = Server(almanac, data_dir or (tmp_path / f"data{len(started)}"), args)
        started.append(s)
        return s.start()

    yield make
    for s in started:
        if s.proc is not None:
            s.stop()


@pytest.fixture
def server(make_server):
    """One server with default settings (rate limits raised)."""
    return make_server()
