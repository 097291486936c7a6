"""Clusters for the black-box tests: a PostgreSQL 15 server of the tests' own
(scripts/pg-local.sh: initdb in a directory under /tmp, as `postgres` when run as root,
Unix socket only), a schema of its own per cluster, and almanac nodes on free loopback
ports that share the log in it."""
import json
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import requests

from conftest import ROOT, Server

SECRET = "a-cluster-secret-for-the-tests-0123456789"
PG_LOCAL = str(ROOT / "scripts" / "pg-local.sh")


def psql_binary():
    for candidate in ("/usr/lib/postgresql/15/bin/psql", shutil.which("psql")):
        if candidate and pathlib.Path(candidate).exists():
            return candidate
    raise RuntimeError("psql not found: install postgresql-15 (scripts/install-deps.sh)")


class Postgres:
    """A PostgreSQL server in a directory of its own, stopped and removed by stop()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="almanac-pg-", dir="/tmp")
        started = subprocess.run([PG_LOCAL, "start", self.dir], capture_output=True, text=True, timeout=120)
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}")
        self.uri = started.stdout.strip().splitlines()[-1]

    def psql(self, sql, conninfo=None):
        """Runs `sql`; returns its rows as text, one a line, columns split by '|'."""
        r = subprocess.run([psql_binary(), conninfo or self.uri, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr}")
        return r.stdout.strip()

    def new_log(self):
        """The conninfo of a new, empty schema: a log of its own."""
        schema = "c_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE SCHEMA {schema}")
        return f"{self.uri}&options=-csearch_path%3D{schema}"

    def stop(self):
        subprocess.run([PG_LOCAL, "stop", self.dir], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


class LockHolder:
    """A session of its own that takes the writer's lock of a log as soon as it is free
    (pg_advisory_lock waits, and gets it before any node's next try) and keeps it until
    release(). Returns once it waits for the lock (or holds it)."""

    def __init__(self, postgres, log):
        key = postgres.psql("SELECT (1634495843::int8 << 32) | to_regclass('almanac_control')::oid::int8", log)
        self.proc = subprocess.Popen([psql_binary(), log, "-At"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.proc.stdin.write(f"SELECT pg_advisory_lock({key});\nSELECT 'holding';\n")
        self.proc.stdin.flush()
        self.held = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()
        # Queued behind the writer before anything else happens: when the writer's session
        # ends, PostgreSQL grants the lock to this waiter before any node's next try.
        deadline = time.time() + 30
        while postgres.psql(f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                            f"AND pid <> pg_backend_pid()") == "0":
            assert time.time() < deadline, "the lock holder did not queue for the lock"
            time.sleep(0.02)

    def _watch(self):
        for line in self.proc.stdout:
            if line.strip() == "holding":
                self.held.set()

    def release(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def stop_together(nodes, sig=signal.SIGTERM, timeout=30):
    """Signals every running node at once, then waits for each: a node stopping waits for
    its open connections, and the other nodes' kept-alive forwarding connections close
    only when they stop. Returns each node's (exit code, standard error)."""
    running = [n for n in nodes if n.proc is not None]
    for n in running:
        if n.proc.poll() is None:
            n.proc.send_signal(sig or signal.SIGTERM)
    return [n.stop(sig or signal.SIGTERM, timeout=timeout) for n in running]


class Cluster:
    """`count` almanac nodes on one log in `postgres`, each on a free loopback port."""

    def __init__(self, binary, postgres, workdir, count=3, writer_timeout="5", extra_args=(), log=None,
                 test_defaults=True):
        self.binary = binary
        self.postgres = postgres
        self.log = log or postgres.new_log()
        self.writer_timeout = float(writer_timeout)
        args = ["--log", self.log, "--cluster-secret", SECRET, "--writer-timeout", str(writer_timeout), *extra_args]
        if test_defaults:
            args += ["--auth-per-minute", "100000", "--user-per-minute", "100000", "--bench-fast-hash"]
        self.nodes = [Server(binary, pathlib.Path(workdir) / f"node{i}", args) for i in range(count)]

    def start(self):
        for n in self.nodes:
            n.start()
        self.wait_for_writer()
        return self

    def heal(self):
        """Restarts every node that is not running (a test killed or stopped it) and waits
        until one is the writer and every node names it."""
        for n in self.nodes:
            if n.proc is None or n.proc.poll() is not None:
                n.proc = None
                n.start()
        return self.wait_for_writer()

    def ready(self, node):
        """The node's /health/ready, or None when it does not answer."""
        try:
            r = requests.get(node.url("/health/ready"), timeout=5)
        except requests.RequestException:
            return None
        return r.json()

    def cluster_check(self, node):
        body = self.ready(node)
        return body["checks"]["cluster"] if body else None

    def running(self):
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def writer(self, among=None):
        """The node that says it is the writer now, or None."""
        for n in among or self.running():
            c = self.cluster_check(n)
            if c and c["role"] == "writer":
                return n
        return None

    def wait_for_writer(self, among=None, timeout=30, not_node=None):
        """The node that is the writer, once one is and the others name it; raises after `timeout`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            candidates = [n for n in (among or self.running()) if n is not not_node]
            w = self.writer(candidates)
            if w is not None:
                names = {json.dumps((self.cluster_check(n) or {}).get("writer")) for n in candidates}
                if len(names) == 1:
                    return w
            time.sleep(0.05)
        raise AssertionError("no node became the writer in time")

    def followers(self):
        w = self.writer()
        return [n for n in self.running() if n is not w]

    def cli(self, *args, timeout=120):
        return subprocess.run([self.binary, *args, "--log", self.log], capture_output=True, text=True,
                              timeout=timeout)

    def stop(self):
        return stop_together(self.nodes)


class RoundRobinFront:
    """The nodes of one cluster seen as one server, as a client behind a balancer sees them:
    each request (and each WebSocket) goes to the next node in turn. Raw sockets go to the
    first node. stop() and kill() act on every node."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.nodes = cluster.nodes
        self.turn = 0
        self.lock = threading.Lock()
        first = self.nodes[0]
        self.binary = first.binary
        self.data_dir = first.data_dir
        self.host_port = first.host_port
        self.base = first.base
        self.proc = first.proc

    def _next(self):
        with self.lock:
            node = self.nodes[self.turn % len(self.nodes)]
            self.turn += 1
        return node

    def url(self, path):
        return self._next().url(path)

    def ws_url(self, path):
        return self._next().ws_url(path)

    def stop(self, sig=None, timeout=30):
        results = stop_together(self.nodes, sig, timeout)
        self.proc = None
        code = next((c for c, _ in results if c not in (0, None)), results[0][0])
        return code, "".join(err or "" for _, err in results)

    def kill(self):
        for n in self.nodes:
            if n.proc is not None:
                n.kill()
        self.proc = None
