"""The native event stream over real sockets: /streams/all and /streams/{category}/{id}
(pages, NDJSON, permissions), the /streams/live WebSocket (catch-up then live with no
gap and no duplicate while writes are in flight, resume, slow readers, ping/pong,
graceful shutdown) and that a graceful stop loses no acknowledged write."""
import asyncio
import json
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests
import websockets

from clients import Writers, bearer, login, register

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ---- helpers ------------------------------------------------------------------

def with_superuser(make_server, almanac, *args, users=("alice",)):
    """A server where 'root' is a superuser: start, register, stop, promote, start again.
    Returns (server, {username: token})."""
    first = make_server(*args)
    for name in ("root", *users):
        register(first, name)
    first.stop()
    promoted = subprocess.run([almanac, "users", "promote", "root", "--data", first.data_dir],
                              capture_output=True, text=True, timeout=60)
    assert promoted.returncode == 0, promoted.stderr
    server = make_server(*args, data_dir=first.data_dir)
    return server, {name: login(server, name) for name in ("root", *users)}


def read_all(server, token, page=1000):
    """Every event of the log through /streams/all, page by page."""
    events, after = [], 0
    for _ in range(10000):
        r = requests.get(server.url("/streams/all"), params={"from": after, "limit": page},
                         headers=bearer(token), timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        if not body["events"]:
            assert body["next"] == after
            return events
        events += body["events"]
        after = body["next"]
    raise AssertionError("the log did not end")


def head(server, token):
    events = read_all(server, token)
    return events[-1]["position"] if events else 0


def user_id(server, token, username):
    for e in read_all(server, token):
        if e["type"] == "UserRegistered" and e["payload"]["username"] == username:
            return e["stream"]["id"]
    raise AssertionError(f"{username} not in the log")


def close_code(exc):
    rcvd = getattr(exc, "rcvd", None)
    return (rcvd.code, rcvd.reason) if rcvd is not None else (exc.code, exc.reason)


async def collect(url, until_position, timeout=60, stop_after=None, **kw):
    """Positions received on a live stream until `until_position` (or `stop_after` messages)."""
    got = []
    async with websockets.connect(url, open_timeout=10, close_timeout=5, ping_interval=None, **kw) as ws:
        deadline = time.time() + timeout
        while (not got or got[-1] < until_position()) and (stop_after is None or len(got) < stop_after):
            remaining = deadline - time.time()
            assert remaining > 0, f"live stream stalled at {got[-1] if got else None}"
            msg = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            got.append(msg["position"])
    return got


# ---- HTTP ---------------------------------------------------------------------

def test_all_needs_a_superuser(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)
    assert requests.get(s.url("/streams/all")).status_code == 401
    assert requests.get(s.url("/streams/all"), headers=bearer("not-a-token")).status_code == 401
    r = requests.get(s.url("/streams/all"), headers=bearer(tokens["alice"]))
    assert r.status_code == 403
    assert r.json() == {"detail": "Superuser privileges required"}
    assert requests.get(s.url("/streams/all"), headers=bearer(tokens["root"])).status_code == 200


def test_all_pages_through_the_whole_log_and_renders_events(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)
    for i in range(6):
        register(s, f"user{i}")
    root = tokens["root"]

    # Small pages: every position once, in order, `next` chaining the pages.
    positions, after = [], 0
    for _ in range(100):
        body = requests.get(s.url("/streams/all"), params={"from": after, "limit": 4}, headers=bearer(root)).json()
        assert len(body["events"]) <= 4
        if not body["events"]:
            break
        assert body["next"] == body["events"][-1]["position"]
        positions += [e["position"] for e in body["events"]]
        after = body["next"]
    assert positions == list(range(1, len(positions) + 1))
    assert len(positions) >= 11  # eight registrations, a promotion, two logins

    every = read_all(s, root)
    assert [e["position"] for e in every] == positions
    reg = next(e for e in every if e["type"] == "UserRegistered" and e["payload"]["username"] == "user3")
    assert set(reg) == {"position", "stream", "version", "type", "recorded_at", "actor_id", "correlation_id",
                        "payload"}
    assert reg["stream"]["category"] == "user" and reg["stream"]["id"] > 0
    assert reg["version"] == 1
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$", reg["recorded_at"])
    assert reg["payload"]["email"] == "user3@example.com"
    assert UUID_RE.match(reg["payload"]["uuid"])
    assert "password_hash" not in reg["payload"]
    session = next(e for e in every if e["type"] == "SessionStarted")
    assert session["stream"]["category"] == "session" and "refresh_jti" not in session["payload"]
    promoted = next(e for e in every if e["type"] == "UserPromoted")
    assert promoted["payload"] == {"is_superuser": True}

    # from in the middle
    body = requests.get(s.url("/streams/all"), params={"from": 5, "limit": 2}, headers=bearer(root)).json()
    assert [e["position"] for e in body["events"]] == [6, 7] and body["next"] == 7

    # NDJSON: the same events, one per line.
    r = requests.get(s.url("/streams/all"), params={"from": 0, "limit": 1000},
                     headers={**bearer(root), "Accept": "application/x-ndjson"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-ndjson"
    assert r.text.endswith("\n")
    lines = r.text.splitlines()
    assert [json.loads(line) for line in lines] == every

    # Limits: a huge one is capped, not refused; zero and words are 422.
    capped = requests.get(s.url("/streams/all"), params={"limit": 10 ** 9}, headers=bearer(root))
    assert capped.status_code == 200 and len(capped.json()["events"]) == len(every)
    for bad in ({"limit": 0}, {"limit": "ten"}, {"from": -1}, {"from": "x"}):
        r = requests.get(s.url("/streams/all"), params=bad, headers=bearer(root))
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"][0] == "query"


def test_entity_streams_are_for_their_viewers_only(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac, users=("alice", "bob"))
    root, alice, bob = tokens["root"], tokens["alice"], tokens["bob"]
    alice_id = user_id(s, root, "alice")
    alice_session = next(e["stream"]["id"] for e in read_all(s, root)
                         if e["type"] == "SessionStarted" and e["payload"]["user_id"] == alice_id)

    own = requests.get(s.url(f"/streams/user/{alice_id}"), headers=bearer(alice))
    assert own.status_code == 200
    types = [e["type"] for e in own.json()["events"]]
    assert types[0] == "UserRegistered" and "UserLoggedIn" in types
    assert [e["version"] for e in own.json()["events"]] == list(range(1, len(types) + 1))
    assert own.json()["next"] == len(types)
    later = requests.get(s.url(f"/streams/user/{alice_id}"), params={"from": 1}, headers=bearer(alice)).json()
    assert [e["version"] for e in later["events"]] == list(range(2, len(types) + 1))
    nd = requests.get(s.url(f"/streams/user/{alice_id}"), headers={**bearer(alice), "Accept": "application/x-ndjson"})
    assert [json.loads(x) for x in nd.text.splitlines()] == own.json()["events"]

    assert requests.get(s.url(f"/streams/session/{alice_session}"), headers=bearer(alice)).status_code == 200
    # Someone else's streams look exactly like streams that do not exist.
    for path in (f"/streams/user/{alice_id}", f"/streams/session/{alice_session}"):
        r = requests.get(s.url(path), headers=bearer(bob))
        assert r.status_code == 404 and r.json() == {"detail": "Stream not found"}
    assert requests.get(s.url("/streams/user/999999"), headers=bearer(bob)).json() == {"detail": "Stream not found"}
    # Superusers read every stream; absent ones are 404 for them too.
    assert requests.get(s.url(f"/streams/user/{alice_id}"), headers=bearer(root)).json() == own.json()
    assert requests.get(s.url("/streams/user/999999"), headers=bearer(root)).status_code == 404
    assert requests.get(s.url("/streams/planet/1"), headers=bearer(root)).status_code == 404
    assert requests.get(s.url(f"/streams/user/{alice_id}")).status_code == 401


# ---- WebSocket ----------------------------------------------------------------

def test_live_refuses_without_a_superuser_token(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)

    async def status_of(url, **kw):
        try:
            async with websockets.connect(url, open_timeout=10, **kw):
                return 101
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code

    assert asyncio.run(status_of(s.ws_url("/streams/live"))) == 401
    assert asyncio.run(status_of(s.ws_url(f"/streams/live?token={tokens['alice']}"))) == 403
    assert asyncio.run(status_of(s.ws_url(f"/streams/live?token={tokens['root']}&from=abc"))) == 422
    assert asyncio.run(status_of(s.ws_url(f"/streams/live?token={tokens['root']}"))) == 101
    assert asyncio.run(status_of(s.ws_url("/streams/live"), extra_headers=bearer(tokens["root"]))) == 101
    assert requests.get(s.url("/streams/live"), headers=bearer(tokens["root"])).status_code == 426


def test_live_catches_up_then_follows_with_no_gap_and_no_duplicate(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)
    root = tokens["root"]
    writers = Writers(s, threads=4).start()
    try:
        writers.wait_for(20)
        # First connection from 0 while writes go on; it leaves after 40 messages.
        first = asyncio.run(collect(s.ws_url(f"/streams/live?from=0&token={root}"), lambda: 10 ** 18,
                                    stop_after=40))
        assert first == list(range(1, 41))
        writers.wait_for(len(writers.acknowledged) + 30)
    finally:
        acknowledged = writers.finish()
    final = head(s, root)
    assert final >= 40 and final >= len(acknowledged)
    # Resume from the last position received: the rest, each once, in order.
    rest = asyncio.run(collect(s.ws_url(f"/streams/live?from={first[-1]}&token={root}"), lambda: final))
    assert first + rest == list(range(1, final + 1))


def test_live_resume_while_writing_sees_every_event_once(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)
    root = tokens["root"]
    writers = Writers(s, threads=4).start()
    received = []
    try:
        writers.wait_for(10)
        # Several short connections, each resuming where the previous one stopped,
        # all while registrations are being committed.
        for _ in range(5):
            after = received[-1] if received else 0
            received += asyncio.run(collect(s.ws_url(f"/streams/live?from={after}&token={root}"),
                                            lambda: 10 ** 18, stop_after=25))
    finally:
        acknowledged = writers.finish()
    final = head(s, root)
    received += asyncio.run(collect(s.ws_url(f"/streams/live?from={received[-1]}&token={root}"), lambda: final))
    assert received == list(range(1, final + 1))
    log_names = {e["payload"]["username"] for e in read_all(s, root) if e["type"] == "UserRegistered"}
    assert set(acknowledged) <= log_names


def test_a_reader_that_does_not_read_is_closed_with_4008_and_can_resume(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac, "--ws-queue-limit", "4")
    root = tokens["root"]
    start = head(s, root)
    host, port = s.host_port.split(":")

    async def run():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        ws = await websockets.connect(s.ws_url(f"/streams/live?from={start}&token={root}"), sock=sock,
                                      max_queue=1, read_limit=4096, open_timeout=10, close_timeout=5,
                                      ping_interval=None)
        # Do not read; write until the server reports dropped messages.
        loop = asyncio.get_running_loop()
        writers = Writers(s, threads=4, prefix="slow").start()
        deadline = time.time() + 90
        try:
            while time.time() < deadline:
                await asyncio.sleep(0.2)
                metrics = await loop.run_in_executor(None, lambda: requests.get(s.url("/metrics"), timeout=10).text)
                m = re.search(r"^almanac_websocket_messages_dropped_total (\S+)$", metrics, re.M)
                if m and float(m.group(1)) > 0:
                    break
            else:
                raise AssertionError("the slow reader was never cut off")
        finally:
            await loop.run_in_executor(None, writers.finish)
        # Now read what was delivered before the close.
        got = []
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            for _ in range(1000000):
                got.append(json.loads(await asyncio.wait_for(ws.recv(), 30))["position"])
        return got, close_code(closed.value)

    got, (code, reason) = asyncio.run(run())
    assert code == 4008
    m = re.fullmatch(r"too slow: resume from position (\d+)", reason)
    assert m, reason
    resume = int(m.group(1))
    assert got == list(range(start + 1, resume + 1))
    final = head(s, root)
    assert final > resume
    rest = asyncio.run(collect(s.ws_url(f"/streams/live?from={resume}&token={root}"), lambda: final))
    assert rest == list(range(resume + 1, final + 1))


def test_a_silent_peer_gets_pings_and_is_disconnected(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac, "--idle-timeout", "2")
    host, port = s.host_port.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall((f"GET /streams/live?token={tokens['root']}&from=999999 HTTP/1.1\r\nHost: {s.host_port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    sock.settimeout(15)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 101")
    frames = data.split(b"\r\n\r\n", 1)[1]
    started = time.time()
    while True:  # never answer: a ping arrives, then the server gives up on us
        chunk = sock.recv(4096)
        if not chunk:
            break
        frames += chunk
    elapsed = time.time() - started
    sock.close()
    assert frames[:1] == b"\x89"          # FIN + ping
    assert 1 <= elapsed <= 10


def test_graceful_shutdown_closes_live_sessions_with_1001(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)

    async def run():
        async with websockets.connect(s.ws_url(f"/streams/live?token={tokens['root']}"), open_timeout=10,
                                      close_timeout=5, ping_interval=None) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert first["position"] == 1
            stopper = threading.Thread(target=s.stop)
            stopper.start()
            try:
                with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                    for _ in range(1000):
                        await asyncio.wait_for(ws.recv(), 20)
            finally:
                await asyncio.get_running_loop().run_in_executor(None, stopper.join)
            return close_code(closed.value)

    code, reason = asyncio.run(run())
    assert code == 1001 and reason == "server shutting down"


def test_graceful_shutdown_loses_no_acknowledged_write(make_server, almanac):
    s, tokens = with_superuser(make_server, almanac)
    writers = Writers(s, threads=6, prefix="ack").start()
    writers.wait_for(30)
    s.proc.send_signal(signal.SIGTERM)   # mid-way: writes are in flight
    acknowledged = writers.finish()
    code, err = s.stop()
    assert code == 0, err
    assert "stopped cleanly" in err

    again = make_server(data_dir=s.data_dir)
    root = login(again, "root")
    in_log = {e["payload"]["username"] for e in read_all(again, root) if e["type"] == "UserRegistered"}
    assert len(acknowledged) >= 30
    missing = [name for name in acknowledged if name not in in_log]
    assert missing == []
