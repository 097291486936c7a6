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

from clients import PASSWORD, Client, Writers, bearer, login, register
from cluster_support import SECRET, Cluster, LockHolder, Postgres
from conftest import Server


@pytest.fixture(scope="module")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


# One cluster for the module: three nodes on one log, a writer timeout shorter than the
# default so that the takeovers the tests cause stay quick. Every test uses users of its
# own (fresh()); a test that kills or pauses a node leaves it to heal() to restart.
WRITER_TIMEOUT = "3"


@pytest.fixture(scope="module")
def shared_cluster(almanac, postgres, tmp_path_factory):
    c = Cluster(almanac, postgres, tmp_path_factory.mktemp("cluster"), count=3, writer_timeout=WRITER_TIMEOUT)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def cluster(shared_cluster):
    shared_cluster.heal()
    return shared_cluster


def fresh(name):
    """A user name no other test of the module uses."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def token_of(node, name):
    return login(node, name)


class RoundRobinWriters(Writers):
    """Threads that register users through the given nodes in turn until stopped; remembers
    which registrations were acknowledged and every status answered. A write that gets no
    answer (its node is down) is counted and the thread goes on to the next node."""

    def __init__(self, nodes, threads=6, prefix="rr"):
        self.nodes = list(nodes)
        super().__init__(None, threads=threads, prefix=prefix)

    def _run(self, prefix, offset):
        sessions = [requests.Session() for _ in self.nodes]
        for n in range(100000):
            if self.stop_flag.is_set():
                return
            k = (n + offset) % len(self.nodes)
            name = f"{prefix}-{n}-{uuid.uuid4().hex[:6]}"
            try:
                r = sessions[k].post(self.nodes[k].url("/users/register"), timeout=30,
                                     json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
                status = r.status_code
            except requests.RequestException:
                status = "no answer"
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    self.acknowledged.append(name)


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

def metric(node, name):
    """The value of an unlabelled sample in the node's /metrics."""
    text = requests.get(node.url("/metrics"), timeout=30).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_one_node_writes_and_every_node_says_which(cluster):
    c = cluster
    writer = c.wait_for_writer()
    checks = [c.cluster_check(n) for n in c.nodes]
    assert sorted(ch["role"] for ch in checks) == ["follower", "follower", "writer"]
    names = {ch["node"] for ch in checks}
    assert len(names) == 3
    assert len({json.dumps(ch["writer"]) for ch in checks}) == 1
    assert checks[0]["writer"]["node"] in names
    assert checks[0]["writer"]["address"] == writer.host_port
    assert len({ch["epoch"] for ch in checks}) == 1 and checks[0]["epoch"] >= 1
    # Writes through every node; each node then holds the same head, and no lag.
    for i, n in enumerate(c.nodes):
        register(n, fresh(f"member{i}"))
    checks = [c.cluster_check(n) for n in c.nodes]
    assert len({ch["log_head"] for ch in checks}) == 1
    for ch in checks:
        assert ch["position"] == ch["log_head"]
        assert ch["lag_events"] == 0 and ch["lag_seconds"] == 0


def test_metrics_of_a_cluster_node_pass_promtool(cluster):
    c = cluster
    writer = c.wait_for_writer()
    follower = c.followers()[0]
    epoch = c.cluster_check(writer)["epoch"]
    forwarded = metric(follower, "almanac_cluster_forwarded_total")
    register(follower, fresh("metered"))
    assert metric(follower, "almanac_cluster_forwarded_total") == forwarded + 1
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install the Debian package prometheus (scripts/install-deps.sh)"
    writer_node = c.cluster_check(writer)["node"]
    for node, role in ((writer, "writer"), (follower, "follower")):
        r = requests.get(node.url("/metrics"), timeout=30)
        assert r.status_code == 200
        assert f'almanac_cluster_role{{role="{role}"}} 1' in r.text
        assert f'almanac_cluster_writer{{node="{writer_node}",address="{writer.host_port}"}} 1' in r.text
        assert f"almanac_cluster_epoch {epoch}" in r.text
        assert "almanac_cluster_lag_events 0" in r.text
        check = subprocess.run([promtool, "check", "metrics"], input=r.text, capture_output=True, text=True,
                               timeout=30)
        assert check.returncode == 0, f"promtool check metrics:\n{check.stdout}{check.stderr}"


def test_the_internal_interface_needs_the_secret_and_the_writer(cluster):
    c = cluster
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


# ---- the log tools on both stores ----------------------------------------------------------

def run_tool(almanac, *args):
    r = subprocess.run([almanac, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"almanac {' '.join(args)}:\n{r.stdout}{r.stderr}"
    return r.stdout


def test_a_log_copied_to_postgresql_and_back_is_the_same_and_every_tool_reads_it(almanac, postgres, tmp_path):
    # A log in a data directory, written by a node on its own.
    data = tmp_path / "data"
    node = Server(almanac, data, ["--bench-fast-hash", "--auth-per-minute", "100000"]).start()
    for i in range(5):
        me = Client(node, login(node, register(node, f"copied{i}")["username"]))
        assert me.post("/calendars/", {"name": f"Cal {i}", "color": "#123456"}).status_code in (200, 201)
    code, err = node.stop()
    assert code == 0, err
    original = run_tool(almanac, "log", "--data", str(data), "--json")
    assert len(original.splitlines()) >= 15

    log = postgres.new_log()
    out = run_tool(almanac, "copy", "--from", str(data), "--to", log)
    assert "verif" in out.lower()
    # Every tool that reads the log takes --log as well as --data.
    assert run_tool(almanac, "log", "--log", log, "--json") == original
    assert "ok:" in run_tool(almanac, "verify", "--log", log)
    assert "replayed" in run_tool(almanac, "replay", "--log", log)
    backup = tmp_path / "backup"
    run_tool(almanac, "backup", str(backup), "--log", log)
    assert run_tool(almanac, "log", "--data", str(backup), "--json") == original
    assert "ok:" in run_tool(almanac, "verify", "--data", str(backup))
    # A superuser made on the PostgreSQL log (no node runs: the tool appends as the writer).
    assert "now a superuser" in run_tool(almanac, "users", "promote", "copied0", "--log", log)
    promoted = run_tool(almanac, "log", "--log", log, "--json")
    assert promoted.startswith(original) and len(promoted.splitlines()) == len(original.splitlines()) + 1
    # And back to a data directory, byte for byte.
    back = tmp_path / "back"
    run_tool(almanac, "copy", "--from", log, "--to", str(back))
    assert run_tool(almanac, "log", "--data", str(back), "--json") == promoted
    assert "ok:" in run_tool(almanac, "verify", "--data", str(back))
    # A copy never lands on a log that has events.
    refused = subprocess.run([almanac, "copy", "--from", str(data), "--to", log], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    assert run_tool(almanac, "log", "--log", log, "--json") == promoted


# ---- reading one's writes anywhere --------------------------------------------------------

def test_a_write_through_one_node_reads_back_at_once_through_another(cluster):
    c = cluster
    for round_ in range(15):
        first, second, third = [c.nodes[(round_ + k) % 3] for k in range(3)]
        name = fresh(f"reader{round_}")
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
    """Messages of a live stream until one at until_position() arrives; until_position may
    rise while it waits, so it is read again at least every half second."""
    got = []
    async with websockets.connect(url, open_timeout=10, close_timeout=5, ping_interval=None) as ws:
        deadline = time.time() + timeout
        while not got or got[-1][0] < until_position():
            remaining = deadline - time.time()
            assert remaining > 0, f"live stream stalled at {got[-1][0] if got else None}, waiting for {until_position()}"
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), min(remaining, 0.5)))
            except asyncio.TimeoutError:
                continue
            got.append((msg["position"], msg))
    return got


def test_a_subscriber_on_one_node_gets_every_event_written_through_the_others(cluster):
    c = cluster
    writer = c.wait_for_writer()
    subscriber, other = c.followers()
    a, b = writer, other  # written through the writer and the other follower
    root_name = fresh("root")
    register(a, root_name)
    promoted = c.cli("users", "promote", root_name, "--cluster-secret", SECRET)
    assert promoted.returncode == 0, promoted.stderr
    assert "now a superuser" in promoted.stdout
    root = token_of(subscriber, root_name)
    start = c.cluster_check(subscriber)["log_head"]

    final = {"position": 10 ** 18}
    results = {}

    def listen():
        results["got"] = asyncio.run(collect(subscriber.ws_url(f"/streams/live?from={start}&token={root}"),
                                             lambda: final["position"]))

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.5)
    writers = RoundRobinWriters([a, b], threads=4, prefix=fresh("live")).start()
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

def test_a_writer_killed_under_load_is_replaced_in_time_and_loses_no_acknowledged_write(cluster):
    c = cluster
    writer = c.wait_for_writer()
    epoch = c.cluster_check(writer)["epoch"]
    writers = RoundRobinWriters(c.nodes, threads=6, prefix=fresh("kill")).start()
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


def test_a_writer_told_to_stop_hands_over_at_once(cluster):
    c = cluster
    writer = c.wait_for_writer()
    others = [n for n in c.nodes if n is not writer]
    # The followers forward through kept-alive connections to the writer, which a
    # stopping server waits for: the role must not wait with them.
    for i in range(6):
        register(others[i % 2], fresh("handover"))
    stopping_at = time.time()
    writer.proc.send_signal(signal.SIGTERM)
    c.wait_for_writer(among=others, timeout=30)
    took = time.time() - stopping_at
    assert took < c.writer_timeout / 2, f"the handover took {took:.2f} s"
    code, err = writer.stop()
    assert code == 0, err
    assert "stopped writing" in err
    register(others[0], fresh("after-handover"))


def test_a_paused_writer_cannot_append_when_it_resumes(cluster):
    c = cluster
    old = c.wait_for_writer()
    epoch = c.cluster_check(old)["epoch"]
    before = fresh("before")
    register(old, before)
    others = [n for n in c.nodes if n is not old]
    old.proc.send_signal(signal.SIGSTOP)
    stopped_at = time.time()
    # Requests that reach the paused writer wait in its socket.
    answers = []
    late_prefix = fresh("late")

    def late_write(i):
        name = f"{late_prefix}{i}"
        try:
            r = requests.post(old.url("/users/register"), timeout=60,
                              json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
            answers.append((name, r.status_code))
        except requests.RequestException as e:
            answers.append((name, str(e)))

    late = [threading.Thread(target=late_write, args=(i,)) for i in range(4)]
    for t in late:
        t.start()
    after = [fresh(f"after{i}") for i in range(10)]
    try:
        new = c.wait_for_writer(among=others, timeout=30)
        took = time.time() - stopped_at
        assert took < c.writer_timeout + 1, f"the takeover took {took:.2f} s"
        for i, name in enumerate(after):
            register(others[i % 2], name)
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
    all_can_log_in(old, [before] + after + [n for n, s in answers if s == 200])
    # Heads agree and the log is sound: nothing of the old term interleaved with the new.
    register(old, fresh("resumed"))
    heads = {c.cluster_check(n)["log_head"] for n in c.nodes}
    assert len(heads) == 1
    verify(c)


def test_without_a_writer_writes_get_503_with_retry_after_and_reads_go_on(cluster, postgres):
    c = cluster
    writer = c.wait_for_writer()
    follower = c.followers()[0]
    steady = fresh("steady")
    register(follower, steady)
    token = token_of(follower, steady)
    me = Client(follower, token)
    cal = me.post("/calendars/", {"name": "Kept", "color": "#000000"}).json()

    holder = LockHolder(postgres, c.log)  # waits for the lock, and gets it when the writer dies
    try:
        writer.kill()
        if not holder.held.wait(30):
            raise AssertionError("the lock did not come free: " + postgres.psql(
                "SELECT pid, application_name, granted, state, query FROM pg_locks JOIN pg_stat_activity USING (pid) "
                "WHERE locktype = 'advisory'"))
        time.sleep(0.5)
        assert c.cluster_check(follower)["role"] == "follower"
        started = time.time()
        r = me.post("/calendars/", {"name": "Refused", "color": "#000000"})
        # Refused at the latest once the writer timeout has passed without a writer (at
        # once when the forward was sent to the dead writer: it may or may not have run).
        assert time.time() - started < c.writer_timeout + 3
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "detail" in r.json()  # mcal's (FastAPI's) error shape
        nobody = fresh("nobody")
        r = requests.post(follower.url("/users/register"), timeout=30,
                          json={"username": nobody, "email": f"{nobody}@example.com", "password": PASSWORD})
        assert r.status_code == 503 and "Retry-After" in r.headers
        got = me.get(f"/calendars/{cal['id']}/")
        assert got.status_code == 200 and got.json() == cal
        assert requests.get(follower.url("/health/ready"), timeout=30).status_code == 200
    finally:
        holder.release()
    c.wait_for_writer(among=c.running(), timeout=30)
    r = me.post("/calendars/", {"name": "Accepted", "color": "#000000"})
    assert r.status_code in (200, 201), r.text
