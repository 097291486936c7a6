"""The admin contract (seeds/003): login and registration, user administration, the
client WebSocket, its rate limit and the interactive docs, against the real binary."""
import asyncio
import json
import re
import shutil
import subprocess
import threading
import time

import pytest
import requests
import websockets

from clients import PASSWORD, Client, bearer

UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
USER_FIELDS = ["id", "email", "username", "full_name", "is_active", "is_superuser", "created_at", "updated_at"]


# ---- helpers ------------------------------------------------------------------

def admin_register(server, username, email=None, password=PASSWORD, full_name=None):
    body = {"email": email or f"{username}@example.com", "username": username, "password": password}
    if full_name is not None:
        body["full_name"] = full_name
    r = requests.post(server.url("/api/v1/auth/register"), json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def admin_login(server, username, password=PASSWORD, form=False):
    body = {"username": username, "password": password}
    if form:
        return requests.post(server.url("/api/v1/auth/login"), data=body, timeout=30)
    return requests.post(server.url("/api/v1/auth/login"), json=body, timeout=30)


def token_of(server, username, password=PASSWORD):
    r = admin_login(server, username, password)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def with_superuser(make_server, almanac, *args, users=("alice", "bob")):
    """A server where 'root' is a superuser, made as the README says: register, stop,
    `almanac users promote root`, start again. Returns (server, {username: Client})."""
    first = make_server(*args)
    for name in ("root", *users):
        admin_register(first, name)
    first.stop()
    promoted = subprocess.run([almanac, "users", "promote", "root", "--data", first.data_dir],
                              capture_output=True, text=True, timeout=60)
    assert promoted.returncode == 0, promoted.stderr
    assert "now a superuser" in promoted.stdout
    server = make_server(*args, data_dir=first.data_dir)
    return server, {name: Client(server, token_of(server, name)) for name in ("root", *users)}


def log_events(almanac, data_dir):
    """The log as `almanac log --json` prints it: {position, type, stream, payload} per event."""
    out = subprocess.run([almanac, "log", "--json", "--data", data_dir], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    events = []
    for line in out.stdout.splitlines():
        e = json.loads(line)
        events.append({"position": e["position"], "type": e["payload_type"],
                       "stream": {"category": e["category"], "id": e["stream_id"]}, "payload": e.get("payload", {})})
    return events


def ws_connect(server, path, **kw):
    return websockets.connect(server.ws_url(path), open_timeout=10, close_timeout=5, ping_interval=None, **kw)


async def next_message(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def closed_with(ws, timeout=10):
    """Waits for the server to close `ws`; returns (code, reason)."""
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    rcvd = closed.value.rcvd
    assert rcvd is not None, "closed without a close frame"
    return rcvd.code, rcvd.reason


def assert_message_format(m, type_):
    assert m["type"] == type_, m
    assert "data" in m and UTC_RE.match(m["timestamp"]), m


# ---- authentication -------------------------------------------------------------

def test_login_with_json_and_form_by_username_and_by_email(server):
    admin_register(server, "ann", email="Ann@Example.com", full_name="Ann A")
    for form in (False, True):
        for name in ("ann", "Ann@Example.com", "ann@example.com"):
            r = admin_login(server, name, form=form)
            assert r.status_code == 200, (form, name, r.text)
            assert list(r.json()) == ["access_token", "token_type"] and r.json()["token_type"] == "bearer"
            me = requests.get(server.url("/api/v1/users/1"), headers=bearer(r.json()["access_token"]))
            assert me.status_code == 200 and me.json()["username"] == "ann"
    # The document's curl example, byte for byte.
    r = requests.post(server.url("/api/v1/auth/login"), data="username=ann&password=" + PASSWORD,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    for form in (False, True):
        r = admin_login(server, "ann", "wrong-password", form=form)
        assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}
        assert r.headers["WWW-Authenticate"] == "Bearer"
        r = admin_login(server, "nobody", form=form)
        assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}
    r = requests.post(server.url("/api/v1/auth/login"), data={"username": "ann"})
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "password"], "msg": "field required",
                                    "type": "value_error.missing"}]}
    r = requests.post(server.url("/api/v1/auth/login"), data="x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


@pytest.mark.parametrize("email", ["plainaddress", "@example.com", "a@b", "a@@example.com", "a b@example.com",
                                   "a@example..com", "a@.example.com", "a@example.com."])
def test_registration_validates_the_email_in_pydantic_v1_wording(server, email):
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": email, "username": "someone", "password": PASSWORD})
    assert r.status_code == 422, r.text
    assert r.json() == {"detail": [{"loc": ["body", "email"], "msg": "value is not a valid email address",
                                    "type": "value_error.email"}]}
    assert requests.post(server.url("/api/v1/auth/login"),
                         json={"username": "someone", "password": PASSWORD}).status_code == 401


def test_registration_answers_a_token_and_refuses_taken_names(server):
    token = admin_register(server, "reg", full_name="Reg Istered")
    me = requests.get(server.url("/api/v1/users/1"), headers=bearer(token)).json()
    assert me["full_name"] == "Reg Istered" and me["email"] == "reg@example.com"
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "other@example.com", "username": "reg", "password": PASSWORD})
    assert r.status_code == 400 and r.json() == {"detail": "Username already registered"}
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "REG@example.com", "username": "other", "password": PASSWORD})
    assert r.status_code == 400 and r.json() == {"detail": "Email already registered"}
    r = requests.post(server.url("/api/v1/auth/register"), json={"email": "x@example.com", "username": "x"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body", "password"], "msg": "field required",
                                   "type": "value_error.missing"}]
    # Without full_name (the document lists it; it may be left out) it reads back null.
    token = admin_register(server, "nofull")
    assert requests.get(server.url("/api/v1/users/2"), headers=bearer(token)).json()["full_name"] is None


# ---- users -----------------------------------------------------------------------

def test_users_need_a_token(server):
    for method, path in [("GET", "/api/v1/users/"), ("GET", "/api/v1/users/1"), ("PUT", "/api/v1/users/1"),
                         ("DELETE", "/api/v1/users/1")]:
        r = requests.request(method, server.url(path))
        assert r.status_code == 401 and r.json() == {"detail": "Not authenticated"}, (method, path)
        assert r.headers["WWW-Authenticate"] == "Bearer"
        r = requests.request(method, server.url(path), headers=bearer("not.a.token"))
        assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}
    # The trailing slash is part of the path (FastAPI redirects the other spelling).
    r = requests.get(server.url("/api/v1/users"), allow_redirects=False)
    assert r.status_code == 307 and r.headers["Location"] == "/api/v1/users/"


def test_a_normal_user_reads_and_changes_only_themself(make_server, almanac):
    s, c = with_superuser(make_server, almanac)
    alice, bob = c["alice"], c["bob"]   # ids 2 and 3

    r = alice.get("/api/v1/users/")
    assert r.status_code == 403 and r.json() == {"detail": "Not enough permissions"}
    r = alice.get("/api/v1/users/2")
    assert r.status_code == 200
    me = r.json()
    assert list(me) == USER_FIELDS
    assert me["id"] == 2 and me["username"] == "alice" and me["is_active"] and not me["is_superuser"]
    assert UTC_RE.match(me["created_at"]) and UTC_RE.match(me["updated_at"])
    for target in ("/api/v1/users/3", "/api/v1/users/1", "/api/v1/users/999"):
        assert alice.get(target).status_code == 403
        r = alice.put(target, {"full_name": "Mallory"})
        assert r.status_code == 403 and r.json() == {"detail": "Not enough permissions"}
        assert alice.delete(target).status_code == 403
    assert bob.get("/api/v1/users/3").json()["full_name"] is None

    # Promoting or (re)activating themself: refused, whatever the value, and nothing changes.
    for body in ({"is_superuser": True}, {"is_superuser": False}, {"is_active": True},
                 {"full_name": "Alice", "is_superuser": True}):
        r = alice.put("/api/v1/users/2", body)
        assert r.status_code == 403 and r.json() == {"detail": "Not enough permissions"}, body
    after = alice.get("/api/v1/users/2").json()
    assert not after["is_superuser"] and after["full_name"] is None and after["updated_at"] == me["updated_at"]
    r = alice.get("/api/v1/users/")
    assert r.status_code == 403

    # Their own profile: email, username, full_name.
    r = alice.put("/api/v1/users/2", {"email": "alice@new.example.com", "username": "alice2", "full_name": "Alice A"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["email"], body["username"], body["full_name"]) == ("alice@new.example.com", "alice2", "Alice A")
    assert body["created_at"] == me["created_at"]
    r = alice.put("/api/v1/users/2", {"full_name": None})
    assert r.status_code == 200 and r.json()["full_name"] is None
    # Null for another field leaves it as it is; an empty body changes nothing.
    r = alice.put("/api/v1/users/2", {"email": None, "username": None, "is_superuser": None})
    assert r.status_code == 200 and r.json()["username"] == "alice2"
    assert alice.put("/api/v1/users/2", {}).json()["email"] == "alice@new.example.com"
    # Taken by someone else: 400 with a detail.
    r = alice.put("/api/v1/users/2", {"username": "bob"})
    assert r.status_code == 400 and r.json() == {"detail": "Username already registered"}
    r = alice.put("/api/v1/users/2", {"email": "BOB@example.com"})
    assert r.status_code == 400 and r.json() == {"detail": "Email already registered"}
    r = alice.put("/api/v1/users/2", {"email": "not-an-email", "password": "short"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body", "email"], "msg": "value is not a valid email address",
                                   "type": "value_error.email"}]
    r = alice.put("/api/v1/users/2", {"password": "short"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    r = alice.put("/api/v1/users/2", {"username": "no spaces"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]
    r = alice.put("/api/v1/users/2", {"is_active": "maybe"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body", "is_active"], "msg": "value could not be parsed to a boolean",
                                   "type": "type_error.bool"}]
    # The new name logs in; the old one does not.
    assert admin_login(s, "alice2").status_code == 200
    assert admin_login(s, "alice").status_code == 401


def test_a_superuser_lists_reads_changes_and_deletes(make_server, almanac):
    s, c = with_superuser(make_server, almanac, users=[f"u{i}" for i in range(1, 8)])
    root = c["root"]
    r = root.get("/api/v1/users/")
    assert r.status_code == 200
    listed = r.json()
    assert [u["id"] for u in listed] == list(range(1, 9))
    assert listed[0]["username"] == "root" and listed[0]["is_superuser"]
    assert all(list(u) == USER_FIELDS for u in listed)
    assert [u["id"] for u in root.get("/api/v1/users/?skip=2&limit=3").json()] == [3, 4, 5]
    assert [u["id"] for u in root.get("/api/v1/users/?skip=6").json()] == [7, 8]
    assert root.get("/api/v1/users/?skip=8").json() == []
    assert root.get("/api/v1/users/?limit=0").json() == []
    assert len(root.get("/api/v1/users/?limit=1000").json()) == 8
    r = root.get("/api/v1/users/?limit=1001")
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["query", "limit"], "msg": "ensure this value is less than or equal to 1000",
                                    "type": "value_error.number.not_le"}]}
    r = root.get("/api/v1/users/?skip=-1&limit=x")
    assert r.status_code == 422
    assert [(e["loc"], e["type"]) for e in r.json()["detail"]] == [
        (["query", "skip"], "value_error.number.not_ge"), (["query", "limit"], "type_error.integer")]

    for path, status in [("/api/v1/users/999", 404), ("/api/v1/users/0", 422), ("/api/v1/users/abc", 422),
                         ("/api/v1/users/99999999999999999999999", 404)]:
        r = root.get(path)
        assert r.status_code == status, path
        if status == 404:
            assert r.json() == {"detail": "Resource not found"}
    assert root.put("/api/v1/users/999", {"full_name": "x"}).json() == {"detail": "Resource not found"}
    assert root.delete("/api/v1/users/999").status_code == 404

    # Another user's profile and flags.
    r = root.put("/api/v1/users/2", {"full_name": "User One", "email": "one@example.com", "is_superuser": True})
    assert r.status_code == 200
    assert r.json()["is_superuser"] and r.json()["full_name"] == "User One"
    assert c["u1"].get("/api/v1/users/").status_code == 200   # at once, with the token they hold
    r = root.put("/api/v1/users/2", {"is_superuser": False})
    assert not r.json()["is_superuser"]
    assert c["u1"].get("/api/v1/users/").status_code == 403
    # ETag and If-Match.
    r = root.get("/api/v1/users/3")
    etag = r.headers["ETag"]
    assert root.put("/api/v1/users/3", {"full_name": "x"}, headers={"If-Match": '"1"'}).status_code == 412
    r = root.put("/api/v1/users/3", {"full_name": "Two"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag

    # Deletion: not themself, anyone else.
    r = root.delete("/api/v1/users/1")
    assert r.status_code == 400 and r.json() == {"detail": "Superusers cannot delete themselves"}
    u3 = c["u3"]
    assert u3.get("/api/v1/users/4").status_code == 200
    r = root.delete("/api/v1/users/4")
    assert r.status_code == 200 and r.json() == {"message": "User deleted successfully"}
    assert root.get("/api/v1/users/4").status_code == 404
    assert root.delete("/api/v1/users/4").status_code == 404
    assert 4 not in [u["id"] for u in root.get("/api/v1/users/").json()]
    # Locked out at once: the token they hold, and logging in again.
    r = u3.get("/api/v1/users/4")
    assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}
    assert admin_login(s, "u3").status_code == 401
    # The username and the email are free again: a new account, a new id.
    token = admin_register(s, "u3", email="u3@example.com")
    assert requests.get(s.url("/api/v1/users/9"), headers=bearer(token)).json()["username"] == "u3"
    # Pages skip the deleted account.
    assert [u["id"] for u in root.get("/api/v1/users/?skip=2&limit=3").json()] == [3, 5, 6]

    s.stop()
    events = log_events(almanac, s.data_dir)
    types = [(e["type"], e["stream"]) for e in events if e["stream"]["category"] == "User"]
    assert ("UserPromoted", {"category": "User", "id": 1}) in types
    assert ("UserProfileUpdated", {"category": "User", "id": 2}) in types
    assert ("UserDeleted", {"category": "User", "id": 4}) in types
    # The deleted user's past events stay in the log.
    assert ("UserRegistered", {"category": "User", "id": 4}) in types
    deleted_at = next(e["position"] for e in events if e["type"] == "UserDeleted")
    ended = [e for e in events if e["type"] == "SessionEnded" and e["position"] > deleted_at]
    assert ended and ended[0]["payload"]["reason"] == "UserDeleted"


def test_a_deactivated_user_is_locked_out_at_once(make_server, almanac):
    s, c = with_superuser(make_server, almanac)
    root, alice = c["root"], c["alice"]
    second = Client(s, token_of(s, "alice"))
    assert alice.get("/api/v1/users/2").status_code == 200
    r = root.put("/api/v1/users/2", {"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    for client in (alice, second):
        r = client.get("/api/v1/users/2")
        assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}
    for form in (False, True):
        r = admin_login(s, "alice", form=form)
        assert r.status_code == 401 and r.json() == {"detail": "Account disabled"}
    # A wrong password still reads as wrong credentials, revealing nothing.
    assert admin_login(s, "alice", "not-her-password").json() == {"detail": "Incorrect username or password"}
    # Reactivated: logging in works again; the sessions that were ended stay ended.
    assert root.put("/api/v1/users/2", {"is_active": True}).json()["is_active"] is True
    assert admin_login(s, "alice").status_code == 200
    assert alice.get("/api/v1/users/2").status_code == 401


def test_a_new_password_is_hashed_and_revokes_the_other_sessions(make_server, almanac):
    s, c = with_superuser(make_server, almanac)
    root, alice = c["root"], c["alice"]
    other = Client(s, token_of(s, "alice"))
    r = alice.put("/api/v1/users/2", {"password": "a-new-password-1"})
    assert r.status_code == 200
    assert "password" not in r.json() and "hashed_password" not in r.json()
    # The session that changed it goes on; the other one ends.
    assert alice.get("/api/v1/users/2").status_code == 200
    assert other.get("/api/v1/users/2").status_code == 401
    assert admin_login(s, "alice").status_code == 401
    fresh = Client(s, token_of(s, "alice", "a-new-password-1"))
    # Set by a superuser, every session of the user ends.
    assert root.put("/api/v1/users/2", {"password": "root-chose-this-1"}).status_code == 200
    assert alice.get("/api/v1/users/2").status_code == 401
    assert fresh.get("/api/v1/users/2").status_code == 401
    assert root.get("/api/v1/users/1").status_code == 200
    assert admin_login(s, "alice", "root-chose-this-1").status_code == 200
    s.stop()
    changed = [e for e in log_events(almanac, s.data_dir) if e["type"] == "PasswordChanged"]
    assert len(changed) == 2
    # The log holds a hash (Argon2id), never the password.
    assert all(e["payload"]["password_hash"].startswith("$argon2id$") for e in changed)
    assert all("a-new-password-1" not in json.dumps(e) for e in changed)


# ---- WebSocket -------------------------------------------------------------------

def test_websocket_echoes_in_the_documented_format(server):
    async def run():
        async with ws_connect(server, "/api/v1/ws/user-123") as ws:
            hello = await next_message(ws)
            assert_message_format(hello, "connected")
            assert hello["data"] == {"client_id": "user-123", "user_id": None, "events": False}
            await ws.send(json.dumps({"type": "chat", "message": "Hello!"}))
            echo = await next_message(ws)
            assert_message_format(echo, "echo")
            assert (echo["client_id"], echo["message"], echo["type"]) == ("user-123", "Hello!", "echo")
            assert echo["data"] == {"type": "chat", "message": "Hello!"}
            # Not JSON, or not an object: an error message, and the connection stays.
            await ws.send("this is not json")
            error = await next_message(ws)
            assert_message_format(error, "error")
            assert "JSON" in error["data"]["detail"]
            await ws.send("[1, 2]")
            assert (await next_message(ws))["type"] == "error"
            await ws.send(json.dumps({"type": "chat", "message": {"nested": [1, 2]}}))
            assert (await next_message(ws))["message"] == {"nested": [1, 2]}
            # Exactly 64 KiB is taken; one byte more closes with 1009.
            filler = "x" * (65536 - len(json.dumps({"type": "chat", "message": ""})))
            await ws.send(json.dumps({"type": "chat", "message": filler}))
            assert len((await next_message(ws))["message"]) == len(filler)
            await ws.send(json.dumps({"type": "chat", "message": filler + "x"}))
            code, _ = await closed_with(ws)
            assert code == 1009
    asyncio.run(run())


@pytest.mark.parametrize("client_id,accepted", [
    ("a", True), ("A-z_0.9", True), ("x" * 64, True),
    ("x" * 65, False), ("bad!id", False), ("sp%20ace", False), ("caf%C3%A9", False)])
def test_websocket_client_id_rules(server, client_id, accepted):
    async def run():
        async with ws_connect(server, f"/api/v1/ws/{client_id}") as ws:
            if accepted:
                assert (await next_message(ws))["data"]["client_id"] == client_id
            else:
                code, reason = await closed_with(ws)
                assert code == 1008 and "client_id" in reason
    asyncio.run(run())


def test_websocket_without_the_upgrade_is_426(server):
    r = requests.get(server.url("/api/v1/ws/abc"))
    assert r.status_code == 426 and "detail" in r.json()


def test_websocket_feed_carries_the_users_own_domain_events(make_server, almanac):
    s, c = with_superuser(make_server, almanac)
    alice, bob, root = c["alice"], c["bob"], c["root"]

    async def run():
        async with ws_connect(s, f"/api/v1/ws/alice-1?token={alice.token}") as feed, \
                ws_connect(s, "/api/v1/ws/anon") as anon:
            hello = await next_message(feed)
            assert hello["data"] == {"client_id": "alice-1", "user_id": 2, "events": True}
            await next_message(anon)
            loop = asyncio.get_running_loop()
            # Bob's calendar is not hers; hers are.
            await loop.run_in_executor(None, lambda: bob.post("/calendars/", {"name": "Bob's"}))
            cal = (await loop.run_in_executor(None, lambda: alice.post("/calendars/", {"name": "Work"}))).json()
            ev = (await loop.run_in_executor(None, lambda: alice.post(
                f"/calendars/{cal['id']}/events/",
                {"title": "Standup", "start_time": "2024-03-20T09:00:00", "end_time": "2024-03-20T09:15:00"}))).json()
            got = [await next_message(feed) for _ in range(2)]
            assert [m["type"] for m in got] == ["calendar_created", "event_scheduled"]
            for m in got:
                assert_message_format(m, m["type"])
                assert m["data"]["actor_id"] == 2 and m["timestamp"] == m["data"]["recorded_at"]
            assert got[0]["data"]["stream"] == {"category": "calendar", "id": cal["id"]}
            assert got[0]["data"]["payload"]["name"] == "Work"
            assert got[1]["data"]["stream"] == {"category": "event", "id": ev["id"]}
            assert got[1]["data"]["payload"]["title"] == "Standup"
            # Her account's events come too, without secrets.
            await loop.run_in_executor(None, lambda: alice.put("/api/v1/users/2", {"password": "another-pass-1"}))
            changed = await next_message(feed)
            assert changed["type"] == "password_changed" and "password_hash" not in changed["data"]["payload"]
            # Deleting the calendar deletes its event: both come.
            await loop.run_in_executor(None, lambda: alice.delete(f"/calendars/{cal['id']}/"))
            types = {(await next_message(feed))["type"] for _ in range(2)}
            assert types == {"calendar_deleted", "event_deleted"}
            # Without a token: echo only, none of the above.
            await anon.send(json.dumps({"type": "chat", "message": "still here"}))
            assert (await next_message(anon))["type"] == "echo"
            # Deleted by a superuser: her session ends and the feed closes with it.
            await loop.run_in_executor(None, lambda: root.delete("/api/v1/users/2"))
            code, reason = await closed_with(feed)
            assert (code, reason) == (1008, "session ended")
    asyncio.run(run())


def test_websocket_bad_token_closes_with_1008(server):
    async def run():
        for query in ("?token=garbage", "?token="):
            async with ws_connect(server, "/api/v1/ws/x" + query) as ws:
                code, _ = await closed_with(ws)
                assert code == 1008, query
    asyncio.run(run())


def test_websocket_connections_per_client_address_are_limited(make_server):
    s = make_server("--ws-per-ip", "3")

    async def run():
        held = [await ws_connect(s, f"/api/v1/ws/c{i}") for i in range(3)]
        for ws in held:
            await next_message(ws)
        async with ws_connect(s, "/api/v1/ws/c3") as extra:
            code, reason = await closed_with(extra)
            assert code == 1013 and "at most 3" in reason
        # One closes: a slot is free again.
        await held.pop().close()
        await asyncio.sleep(0.3)
        async with ws_connect(s, "/api/v1/ws/c4") as again:
            assert (await next_message(again))["type"] == "connected"
        for ws in held:
            await ws.close()
    asyncio.run(run())


# ---- rate limit ------------------------------------------------------------------

def test_rate_limit_ten_a_second_with_a_burst_of_twenty(make_server):
    s = make_server("--rate-policy", "admin=10/s+20", "--auth-per-minute", "1000")
    token = admin_register(s, "busy")
    session = requests.Session()
    session.headers.update(bearer(token))
    started = time.time()
    answers = [session.get(s.url("/api/v1/users/1")) for _ in range(60)]
    elapsed = time.time() - started
    ok = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code == 429]
    assert len(ok) + len(refused) == 60
    assert all(r.status_code == 200 for r in answers[:30])          # the burst
    assert refused, f"no request refused in {elapsed:.2f} s"
    assert len(ok) <= 30 + 10 * elapsed + 1                          # then 10 a second
    for r in answers:
        assert r.headers["X-RateLimit-Limit"] == "30"
        assert int(r.headers["X-RateLimit-Reset"]) >= int(started)
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in answers[:30]]
    assert remaining[0] == 29 and remaining == sorted(remaining, reverse=True)
    assert refused[0].json() == {"detail": "Too many requests"} and refused[0].headers["Retry-After"]
    time.sleep(1.2)
    assert session.get(s.url("/api/v1/users/1")).status_code == 200
    # The docs and the authentication routes are not this limit's.
    assert "X-RateLimit-Limit" not in requests.get(s.url("/openapi.json")).headers
    assert admin_login(s, "busy").headers["X-RateLimit-Limit"] == "1000"


def test_rate_limit_is_configurable(make_server, tmp_path):
    s = make_server("--rate-policy", "admin=2/min")
    token = admin_register(s, "few")
    c = Client(s, token)
    assert [c.get("/api/v1/users/1").status_code for _ in range(3)] == [200, 200, 429]
    # An unknown policy name is refused at start, saying which names there are.
    out = subprocess.run([s.binary, "serve", "--data", str(tmp_path / "other"), "--listen", "127.0.0.1:0",
                          "--rate-policy", "nosuch=1/s"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "nosuch" in out.stderr and "admin" in out.stderr
    out = subprocess.run([s.binary, "serve", "--data", str(tmp_path / "other"), "--listen", "127.0.0.1:0",
                          "--rate-policy", "admin=fast"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "COUNT/WINDOW" in out.stderr


# ---- /openapi.json, /docs and /redoc ----------------------------------------------------

def test_openapi_describes_the_admin_routes(server):
    spec = requests.get(server.url("/openapi.json")).json()
    ops = {(m.upper(), p): op for p, item in spec["paths"].items() for m, op in item.items()}
    for key in [("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/register"), ("GET", "/api/v1/users/"),
                ("GET", "/api/v1/users/{user_id}"), ("PUT", "/api/v1/users/{user_id}"),
                ("DELETE", "/api/v1/users/{user_id}"), ("GET", "/api/v1/ws/{client_id}")]:
        assert key in ops, key
        assert ops[key]["tags"] == ["admin"]
    for key in [("GET", "/api/v1/users/"), ("GET", "/api/v1/users/{user_id}"), ("PUT", "/api/v1/users/{user_id}"),
                ("DELETE", "/api/v1/users/{user_id}")]:
        assert ops[key]["security"] == [{"bearer": []}], key
    assert ops[("POST", "/api/v1/auth/login")]["security"] == []
    assert ops[("GET", "/api/v1/ws/{client_id}")]["security"] == [{"bearer": []}, {}]
    put = ops[("PUT", "/api/v1/users/{user_id}")]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    props = body.get("properties") or spec["components"]["schemas"][body["$ref"].split("/")[-1]]["properties"]
    assert set(props) == {"email", "username", "full_name", "password", "is_active", "is_superuser"}
    assert "10/s+20" in ops[("GET", "/api/v1/users/")]["description"]


CONTRACT_ROUTES = {   # a route of each contract, as the docs pages show it
    "native": "/streams/all", "collab": "/api/auth/login", "flowstate": "/users/login",
    "mcal": "/calendars/", "admin": "/api/v1/users/", "gather": "/api/v1/auth/login/"}


class Browser:
    """Headless Chromium driven over the DevTools protocol: loads a page, records every
    request the page makes, and evaluates script in it."""

    def __init__(self, profile):
        binary = shutil.which("chromium")
        assert binary, "chromium not found: install the Debian package chromium (scripts/install-deps.sh)"
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.endpoint = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise AssertionError("chromium exited before it listened")
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                self.endpoint = m.group(1)
                break
        assert self.endpoint, "chromium did not open its DevTools endpoint"
        # Keep reading its standard error so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def close(self):
        self.proc.kill()
        self.proc.wait()

    async def load(self, url, ready_script, result_script, timeout=90):
        """Navigates to `url`, waits until `ready_script` is true, returns (the value of
        `result_script`, every URL the page asked for, those of them the server's
        Content-Security-Policy stopped before they were sent)."""
        async with websockets.connect(self.endpoint, max_size=None, ping_interval=None) as ws:
            ids = iter(range(1, 1_000_000))
            pending, requested, blocked = {}, {}, set()

            async def reader():
                async for raw in ws:
                    msg = json.loads(raw)
                    if "id" in msg and msg["id"] in pending:
                        pending.pop(msg["id"]).set_result(msg)
                    elif msg.get("method") == "Network.requestWillBeSent":
                        requested[msg["params"]["requestId"]] = msg["params"]["request"]["url"]
                    elif msg.get("method") == "Network.loadingFailed" and msg["params"].get("blockedReason") == "csp":
                        blocked.add(msg["params"]["requestId"])

            task = asyncio.create_task(reader())

            async def call(method, session=None, **params):
                n = next(ids)
                fut = asyncio.get_running_loop().create_future()
                pending[n] = fut
                msg = {"id": n, "method": method, "params": params}
                if session:
                    msg["sessionId"] = session
                await ws.send(json.dumps(msg))
                answer = await asyncio.wait_for(fut, 30)
                assert "error" not in answer, answer
                return answer["result"]

            target = (await call("Target.createTarget", url="about:blank"))["targetId"]
            session = (await call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
            await call("Network.enable", session)
            await call("Page.enable", session)
            await call("Page.navigate", session, url=url)
            deadline = time.time() + timeout
            while True:
                ready = await call("Runtime.evaluate", session, expression=ready_script, returnByValue=True)
                if ready["result"].get("value"):
                    break
                assert time.time() < deadline, f"{url}: not rendered within {timeout} s"
                await asyncio.sleep(0.25)
            await asyncio.sleep(0.5)   # requests the rendering still makes
            result = await call("Runtime.evaluate", session, expression=result_script, returnByValue=True)
            task.cancel()
            return (result["result"]["value"], list(requested.values()),
                    {requested[r] for r in blocked if r in requested})


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_render_every_contract_without_outside_requests(server, tmp_path, page):
    browser = Browser(tmp_path / "profile")
    try:
        if page == "/docs":
            ready = "document.querySelectorAll('.opblock').length > 0"
            result = """JSON.stringify({
              paths: [...document.querySelectorAll('.opblock-summary-path')].map(e => e.getAttribute('data-path')),
              tags: [...document.querySelectorAll('.opblock-tag')].map(e => e.getAttribute('data-tag')),
              secured: document.querySelectorAll('.opblock .authorization__btn').length,
              authorize: document.querySelectorAll('.auth-wrapper .authorize').length,
              html: document.documentElement.outerHTML})"""
        else:
            ready = "document.querySelectorAll('[data-section-id*=\"operation/\"]').length > 0"
            result = """JSON.stringify({
              paths: [], tags: [...document.querySelectorAll('[data-section-id^="tag/"]')]
                               .map(e => e.getAttribute('data-section-id')),
              html: document.documentElement.outerHTML})"""
        value, requested, blocked = asyncio.run(browser.load(server.url(page), ready, result))
    finally:
        browser.close()
    seen = json.loads(value)
    for contract, path in CONTRACT_ROUTES.items():
        if page == "/docs":
            assert path in seen["paths"], (contract, path)
            assert contract in seen["tags"], contract
        else:
            assert path in seen["html"], (contract, path)
            assert any(t.startswith(f"tag/{contract}") for t in seen["tags"]), (contract, seen["tags"])
    if page == "/docs":   # the bearer scheme: an Authorize button, a lock on the secured operations
        assert seen["authorize"] > 0 and seen["secured"] > 0
    else:
        assert "bearer" in seen["html"].lower()
    # Every request went to this server (or stayed inside the page). Redoc's
    # sidebar asks for its maker's logo from their CDN; the page's policy
    # (img-src 'self' data:) stops that before anything is sent, and nothing else
    # may even be asked for.
    assert requested, "the page made no request at all"
    outside = [u for u in requested if not (u.startswith(server.base + "/") or u.startswith(("data:", "blob:")))]
    sent = [u for u in outside if u not in blocked]
    assert sent == [], sent
    allowed_to_ask = {"https://cdn.redoc.ly/redoc/logo-mini.svg"} if page == "/redoc" else set()
    assert set(outside) <= allowed_to_ask, outside
    assert any(u.endswith("/openapi.json") for u in requested)
