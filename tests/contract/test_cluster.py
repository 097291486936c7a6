"""Several nodes on one PostgreSQL log, against real processes: a PostgreSQL 15 of the tests'
own and three almanac binaries. A write through one node reads back at once through
another; a WebSocket subscriber on one node gets every event written through the others, in
log order, with no gap and no duplicate; a writer killed under write load is replaced within
the writer timeout and loses no acknowledged write; a paused writer that resumes cannot
append; without a writer, writes get 503 with Retry-After and reads go on; the internal
interface needs the cluster's secret; /health/ready and /metrics say role, writer, epoch
and lag."""
import asyncio
import json
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest
import requests
import websockets

from clients import PASSWORD, Client, bearer, login, register
from cluster_support import SECRET, Cluster, LockHolder, Postgres


@pytest.fixture(scope="module")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture
def make_cluster(almanac, postgres, tmp_path):
    started = []

    def make(count=3, **kw):
        c = Cluster(almanac, postgres, tmp_path / f"cluster{len(started)}", count=count, **kw)
        started.append(c)
        return c.start()

    yield make
    for c in started:
        c.stop()


def token_of(node, name):
    return login(node, name)


class RoundRobinWriters:
    """Threads that register users through the given nodes in turn until stopped; remembers
    which registrations were acknowledged and every status answered."""

    def __init__(self, nodes, threads=6, prefix="rr"):
        self.nodes = list(nodes)
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged = []
        self.statuses = {}
        self.threads = [threading.Thread(target=self._run, args=(f"{prefix}{i}", i), daemon=True)
                        for i in range(threads)]

    def _run(self, prefix, offset):
        sessions = [requests.Session() for _ in self.nodes]
        for n in range(100000):
            if self.stop_flag.is_set():
                return
            k = (n + offset) % len(self.nodes)
            node = self.nodes[k]
            name = f"{prefix}-{n}-{uuid.uuid4().hex[:6]}"
            try:
                r = sessions[k].post(node.url("/users/register"), timeout=30,
                                     json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
                status = r.status_code
            except requests.RequestException:
                status = "no answer"
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    self.acknowledged.append(name)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count() >= count:
                return
            time.sleep(0.01)
        raise AssertionError(f"fewer than {count} writes acknowledged in {timeout}s: {self.statuses}")

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)
            assert not t.is_alive()
        return list(self.acknowledged)


def all_can_log_in(node, names):
    session = requests.Session()
    for name in names:
        r = session.post(node.url("/users/login"), json={"username_or_email": name, "password": PASSWORD},
                         timeout=30)
        assert r.status_code == 200, (name, r.status_code, r.text)


def verify(cluster):
    v = cluster.cli("verify")
    assert v.returncode == 0, v.stdout + v.stderr
    assert "ok:" in v.stdout


# ---- roles, health, metrics ---------------------------------------------------------------

def test_one_node_writes_and_every_node_says_which(make_cluster):
    c = make_cluster()
    writer = c.wait_for_writer()
    checks = [c.cluster_check(n) for n in c.nodes]
    assert sorted(ch["role"] for ch in checks) == ["follower", "follower", "writer"]
    names = {ch["node"] for ch in checks}
    assert len(names) == 3
    assert len({json.dumps(ch["writer"]) for ch in checks}) == 1
    assert checks[0]["writer"]["node"] in names
    assert checks[0]["writer"]["address"] == writer.host_port
    assert len({ch["epoch"] for ch in checks}) == 1 and checks[0]["epoch"] >= 1
    for ch in checks:
        assert ch["lag_events"] == 0 and ch["lag_seconds"] == 0
    # Writes through every node; each follower then holds the same head.
    for i, n in enumerate(c.nodes):
        register(n, f"member{i}")
    heads = {c.cluster_check(n)["log_head"] for n in c.nodes}
    assert len(heads) == 1


def test_metrics_of_a_cluster_node_pass_promtool(make_cluster):
    c = make_cluster(count=2)
    writer = c.wait_for_writer()
    follower = c.followers()[0]
    register(follower, "metered")
    for node, role in ((writer, "writer"), (follower, "follower")):
        r = requests.get(node.url("/metrics"), timeout=30)
        assert r.status_code == 200
        assert f'almanac_cluster_role{{role="{role}"}} 1' in r.text
        assert f'almanac_cluster_writer{{node="{writer.host_port}",address="{writer.host_port}"}} 1' in r.text
        assert "almanac_cluster_epoch 1" in r.text
        assert "almanac_cluster_lag_events 0" in r.text
        promtool = shutil.which("promtool")
        assert promtool, "promtool not found: install the Debian package prometheus (scripts/install-deps.sh)"
        check = subprocess.run([promtool, "check", "metrics"], input=r.text, capture_output=True, text=True,
                               timeout=30)
        assert check.returncode == 0, f"promtool check metrics:\n{check.stdout}{check.stderr}"
    assert "almanac_cluster_forwarded_total 1" in requests.get(follower.url("/metrics")).text


def test_the_internal_interface_needs_the_secret_and_the_writer(make_cluster):
    c = make_cluster(count=2)
    writer = c.wait_for_writer()
    follower = c.followers()[0]
    url = "/internal/v1/commands"
    assert requests.post(writer.url(url), data=b"C").status_code == 403
    assert requests.post(writer.url(url), data=b"C",
                         headers={"X-Almanac-Cluster-Secret": SECRET[:-1] + "x"}).status_code == 403
    r = requests.post(writer.url(url), data=b"not a command", headers={"X-Almanac-Cluster-Secret": SECRET})
    assert r.status_code == 400
    assert "does not read" in r.text
    # From another build (another set of commands): refused, saying so.
    r = requests.post(follower.url(url), data=b"C\x01\x00\x00\x00\x00",
                      headers={"X-Almanac-Cluster-Secret": SECRET})
    assert r.status_code == 400
    assert "run the same build on every node" in r.text
    # Described like every route.
    assert "/internal/v1/commands" in requests.get(writer.url("/openapi.json")).text


# ---- reading one's writes anywhere --------------------------------------------------------

def test_a_write_through_one_node_reads_back_at_once_through_another(make_cluster):
    c = make_cluster()
    for round_ in range(15):
        first, second, third = [c.nodes[(round_ + k) % 3] for k in range(3)]
        name = f"reader{round_}"
        register(first, name)
        token = token_of(second, name)        # the account, made through another node
        me = Client(third, token)              # the session, made through another node
        r = me.post("/calendars/", {"name": f"Cal {round_}", "color": "#123456"})
        assert r.status_code in (200, 201), r.text
        cal = r.json()
        # Read back at once through each node, then changed through one and read through another.
        for node in c.nodes:
            got = Client(node, token).get(f"/calendars/{cal['id']}/")
            assert got.status_code == 200, got.text
            assert got.json() == cal
        r = Client(first, token).put(f"/calendars/{cal['id']}/", {"name": f"Renamed {round_}", "color": "#654321"})
        assert r.status_code == 200, r.text
        got = Client(second, token).get(f"/calendars/{cal['id']}/")
        assert got.json()["name"] == f"Renamed {round_}"
        assert Client(third, token).delete(f"/calendars/{cal['id']}/").status_code in (200, 204)
        assert Client(first, token).get(f"/calendars/{cal['id']}/").status_code == 404


# ---- the live stream on every node -----------------------------------------------------------

async def collect(url, until_position, timeout=90):
    got = []
    async with websockets.connect(url, open_timeout=10, close_timeout=5, ping_interval=None) as ws:
        deadline = time.time() + timeout
        while not got or got[-1][0] < until_position():
            remaining = deadline - time.time()
            assert remaining > 0, f"live stream stalled at {got[-1][0] if got else None}"
            msg = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            got.append((msg["position"], msg))
    return got


def test_a_subscriber_on_one_node_gets_every_event_written_through_the_others(make_cluster):
    c = make_cluster()
    writer = c.wait_for_writer()
    subscriber, other = c.followers()
    a, b = writer, other  # written through the writer and the other follower
    register(a, "root")
    promoted = c.cli("users", "promote", "root", "--cluster-secret", SECRET)
    assert promoted.returncode == 0, promoted.stderr
    assert "now a superuser" in promoted.stdout
    root = token_of(subscriber, "root")
    start = c.cluster_check(subscriber)["log_head"]

    final = {"position": 10 ** 18}
    results = {}

    def listen():
        results["got"] = asyncio.run(collect(subscriber.ws_url(f"/streams/live?from={start}&token={root}"),
                                             lambda: final["position"]))

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.5)
    writers = RoundRobinWriters([a, b], threads=4, prefix="live").start()
    writers.wait_for(80)
    names = writers.finish()
    final["position"] = c.cluster_check(writer)["log_head"]
    listener.join(timeout=120)
    assert not listener.is_alive()
    positions = [p for p, _ in results["got"]]
    assert positions == list(range(start + 1, final["position"] + 1))
    registered = {m["payload"]["username"] for _, m in results["got"] if m["type"] == "UserRegistered"}
    assert set(names) <= registered
    # The same events, in the same order, as the log itself.
    page = requests.get(writer.url("/streams/all"), params={"from": start, "limit": 1000}, headers=bearer(root))
    assert [e["position"] for e in page.json()["events"]] == positions
    assert [e for e in page.json()["events"]] == [m for _, m in results["got"]]


# ---- failures of the writer ------------------------------------------------------------------

def test_a_writer_killed_under_load_is_replaced_in_time_and_loses_no_acknowledged_write(make_cluster):
    c = make_cluster()
    writer = c.wait_for_writer()
    epoch = c.cluster_check(writer)["epoch"]
    writers = RoundRobinWriters(c.nodes, threads=6, prefix="kill").start()
    writers.wait_for(120)
    survivors = [n for n in c.nodes if n is not writer]
    killed_at = time.time()
    writer.kill()
    new_writer = c.wait_for_writer(among=survivors, timeout=30)
    took = time.time() - killed_at
    assert took < c.writer_timeout, f"the takeover took {took:.2f} s"
    at_takeover = writers.count()
    writers.wait_for(at_takeover + 60)
    acknowledged = writers.finish()
    # Only the killed node's requests went unanswered; the others answered 200, or 503
    # while no node was the writer.
    assert set(writers.statuses) <= {200, 503, "no answer"}, writers.statuses
    assert c.cluster_check(new_writer)["epoch"] > epoch
    for node in survivors:
        all_can_log_in(node, acknowledged[::7])
    all_can_log_in(new_writer, acknowledged)
    for node in survivors:
        code, err = node.stop()
        assert code == 0, err
    verify(c)


def test_a_paused_writer_cannot_append_when_it_resumes(make_cluster):
    c = make_cluster()
    old = c.wait_for_writer()
    epoch = c.cluster_check(old)["epoch"]
    register(old, "before")
    others = [n for n in c.nodes if n is not old]
    old.proc.send_signal(signal.SIGSTOP)
    stopped_at = time.time()
    # Requests that reach the paused writer wait in its socket.
    answers = []

    def late_write(i):
        try:
            r = requests.post(old.url("/users/register"), timeout=60,
                              json={"username": f"late{i}", "email": f"late{i}@example.com", "password": PASSWORD})
            answers.append((f"late{i}", r.status_code))
        except requests.RequestException as e:
            answers.append((f"late{i}", str(e)))

    late = [threading.Thread(target=late_write, args=(i,)) for i in range(4)]
    for t in late:
        t.start()
    try:
        new = c.wait_for_writer(among=others, timeout=30)
        took = time.time() - stopped_at
        assert took < c.writer_timeout + 1, f"the takeover took {took:.2f} s"
        for i in range(10):
            register(others[i % 2], f"after{i}")
    finally:
        old.proc.send_signal(signal.SIGCONT)
    for t in late:
        t.join(timeout=90)
    # Each late write was refused (its term was over) or forwarded to the new writer.
    assert len(answers) == 4 and all(s in (200, 503) for _, s in answers), answers
    deadline = time.time() + 30
    while time.time() < deadline and c.cluster_check(old)["role"] != "follower":
        time.sleep(0.05)
    check = c.cluster_check(old)
    assert check["role"] == "follower"
    assert check["writer"]["node"] == c.cluster_check(new)["node"]
    assert check["epoch"] > epoch
    all_can_log_in(old, ["before"] + [f"after{i}" for i in range(10)] + [n for n, s in answers if s == 200])
    # Heads agree and the log is sound: nothing of the old term interleaved with the new.
    register(old, "resumed")
    heads = {c.cluster_check(n)["log_head"] for n in c.nodes}
    assert len(heads) == 1
    verify(c)


def test_without_a_writer_writes_get_503_with_retry_after_and_reads_go_on(make_cluster, postgres):
    c = make_cluster(count=2, writer_timeout="1")
    writer = c.wait_for_writer()
    follower = c.followers()[0]
    register(follower, "steady")
    token = token_of(follower, "steady")
    me = Client(follower, token)
    cal = me.post("/calendars/", {"name": "Kept", "color": "#000000"}).json()

    holder = LockHolder(postgres, c.log)  # waits for the lock, and gets it when the writer dies
    try:
        writer.kill()
        assert holder.held.wait(30), "the lock did not come free"
        time.sleep(1.5)
        assert c.cluster_check(follower)["role"] == "follower"
        r = me.post("/calendars/", {"name": "Refused", "color": "#000000"})
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "detail" in r.json()  # mcal's (FastAPI's) error shape
        r = requests.post(follower.url("/users/register"), timeout=30,
                          json={"username": "nobody", "email": "nobody@example.com", "password": PASSWORD})
        assert r.status_code == 503 and "Retry-After" in r.headers
        got = me.get(f"/calendars/{cal['id']}/")
        assert got.status_code == 200 and got.json() == cal
        assert requests.get(follower.url("/health/ready"), timeout=30).status_code == 200
    finally:
        holder.release()
    c.wait_for_writer(among=[follower], timeout=30)
    r = me.post("/calendars/", {"name": "Accepted", "color": "#000000"})
    assert r.status_code in (200, 201), r.text
