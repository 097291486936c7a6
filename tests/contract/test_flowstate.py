"""The flowstate contract (seeds/001) over real HTTP and WebSocket: the account texts,
password reset through the outbox and through an SMTP server on loopback, events with the
time-conflict rule, the inbox with its filters, bulk routes and convert_to_event, and
/ws/sync with its envelope, heartbeat and live sync. docs/contracts/flowstate.md records
the decisions these tests hold the server to."""
import asyncio
import email
import email.policy
import json
import pathlib
import re
import socketserver
import subprocess
import threading
import time
import uuid

import pytest
import requests
import websockets

import clients
from clients import PASSWORD, bearer, login, register

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EVENT_KEYS = ["id", "user_id", "title", "description", "start_time", "end_time", "category", "is_all_day",
              "is_recurring", "metadata", "created_at", "updated_at"]
ITEM_KEYS = ["id", "user_id", "content", "category", "priority", "status", "created_at", "updated_at"]


class Client(clients.Client):
    """A clients.Client with flowstate's events and inbox."""

    def event(self, title="E", start="2024-01-15T10:00:00Z", end="2024-01-15T11:00:00Z", expect=201, **fields):
        body = {"title": title, "start_time": start, "end_time": end, **fields}
        r = self.post("/api/events/", body)
        assert r.status_code == expect, r.text
        return r.json()

    def item(self, content="Call the client", expect=201, **fields):
        r = self.post("/api/inbox/", {"content": content, **fields})
        assert r.status_code == expect, r.text
        return r.json()

    def items(self, **params):
        r = self.get("/api/inbox/", params=params)
        assert r.status_code == 200, r.text
        return r.json()


def user(server, name):
    """A Client for a new user `name` and the user's account."""
    account = register(server, name)
    return Client(server, login(server, name)), account


def wait_for(check, timeout=15, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def validation(r):
    """The 422 body of flowstate: every problem, and the service's message."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert list(body) == ["detail", "message"] and body["message"] == "Validation Error", body
    return body["detail"]


# ---- accounts -------------------------------------------------------------------------------

def test_account_texts(server):
    register(server, "flo")
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "other@example.com", "password": PASSWORD})
    assert r.status_code == 409 and r.json() == {"detail": "Username or email already exists"}
    r = requests.post(server.url("/users/register"),
                      json={"username": "someone", "email": "FLO@example.com", "password": PASSWORD})
    assert r.status_code == 409 and r.json() == {"detail": "Username or email already exists"}
    r = requests.post(server.url("/users/login"), json={"username_or_email": "flo", "password": "wrong-password"})
    assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}

    other, _ = user(server, "other")
    r = other.put("/users/me", {"username": "flo"})
    assert r.status_code == 409 and r.json() == {"detail": "Username already exists"}
    r = other.put("/users/me", {"email": "flo@example.com"})
    assert r.status_code == 409 and r.json() == {"detail": "Email already exists"}
    detail = validation(requests.post(server.url("/users/register"), json={"username": "x"}))
    assert [d["loc"] for d in detail] == [["body", "email"], ["body", "password"]]


# ---- password reset ------------------------------------------------------------------------

RESET_SENT = {"message": "If a user with that email exists, a password reset link has been sent."}


def outbox_messages(server):
    box = pathlib.Path(server.data_dir) / "outbox"
    if not box.is_dir():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(box.glob("*.eml"))]


def token_in(message, base):
    body = message.get_body(preferencelist=("plain",)).get_content()
    m = re.search(re.escape(base) + r"([A-Za-z0-9_-]+)", body)
    assert m, body
    return m.group(1)


def request_reset(server, address):
    started = time.perf_counter()
    r = requests.post(server.url("/users/request-password-reset"), json={"email": address})
    elapsed = time.perf_counter() - started
    assert r.status_code == 200 and r.json() == RESET_SENT
    return elapsed


def reset(server, token, new_password):
    return requests.post(server.url("/users/reset-password"), json={"token": token, "new_password": new_password})


def test_password_reset_through_the_outbox(server):
    register(server, "rita")
    old_token = login(server, "rita")
    assert Client(server, old_token).get("/users/me").status_code == 200

    unknown = [request_reset(server, "nobody@example.com") for _ in range(3)]
    known = request_reset(server, "Rita@Example.com")
    # The answer leaves before any lookup, hashing or mailing: alike for both.
    assert max(unknown + [known]) < 0.5

    messages = wait_for(lambda: outbox_messages(server))
    time.sleep(0.3)
    messages = outbox_messages(server)
    assert len(messages) == 1                       # none for the unknown address
    m = messages[0]
    assert m["To"] == "rita@example.com" and m["Subject"] == "Reset your password"
    assert m["From"] == "almanac@localhost"
    token = token_in(m, server.base + "/reset-password?token=")
    mode = (pathlib.Path(server.data_dir) / "outbox").glob("*.eml").__next__().stat().st_mode & 0o777
    assert mode == 0o600

    r = reset(server, "not-a-token", "brand-new-pass")
    assert r.status_code == 400 and r.json() == {"detail": "Invalid or expired password reset token"}
    detail = validation(reset(server, token, "short"))
    assert detail[0]["loc"] == ["body", "new_password"]

    r = reset(server, token, "brand-new-pass")
    assert r.status_code == 200 and r.json() == {"message": "Password has been reset successfully."}
    r = reset(server, token, "another-pass-2")
    assert r.status_code == 400 and r.json() == {"detail": "Invalid or expired password reset token"}

    # The old password and the sessions opened with it stop working.
    r = requests.post(server.url("/users/login"), json={"username_or_email": "rita", "password": PASSWORD})
    assert r.status_code == 401
    r = Client(server, old_token).get("/users/me")
    assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}
    assert Client(server, login(server, "rita", "brand-new-pass")).get("/users/me").json()["username"] == "rita"

    code, err = server.stop()
    assert code == 0
    assert re.search(r"password reset mail for user \d+ delivered to .*/outbox/.*\.eml", err), err
    assert token not in err  # the secret is never logged


def test_password_reset_links_expire(make_server):
    s = make_server("--reset-ttl", "1", "--reset-link-base", "https://app.example/reset#")
    register(s, "sam")
    request_reset(s, "sam@example.com")
    m = wait_for(lambda: outbox_messages(s))[0]
    token = token_in(m, "https://app.example/reset#")
    time.sleep(1.5)
    r = reset(s, token, "brand-new-pass")
    assert r.status_code == 400 and r.json() == {"detail": "Invalid or expired password reset token"}
    login(s, "sam")  # unchanged


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to take messages: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 loopback test SMTP")
        sender, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("latin-1").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.reply("250 loopback")
            elif upper.startswith("MAIL FROM:"):
                sender, recipients = verb[10:].strip(), []
                self.reply("250 OK")
            elif upper.startswith("RCPT TO:"):
                recipients.append(verb[8:].strip())
                self.reply("250 OK")
            elif upper == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.received.append({"from": sender, "to": recipients, "data": data})
                self.reply("250 OK queued")
            elif upper == "QUIT":
                self.reply("221 Bye")
                return
            elif upper in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_server():
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpHandler)
    srv.daemon_threads = True
    srv.received = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_password_reset_through_smtp(make_server, smtp_server):
    port = smtp_server.server_address[1]
    s = make_server("--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-starttls", "off",
                    "--mail-from", "noreply@flowstate.test", "--reset-link-base", "https://flowstate.test/reset?t=")
    register(s, "mia")
    request_reset(s, "mia@example.com")
    request_reset(s, "ghost@example.com")
    got = wait_for(lambda: smtp_server.received)
    time.sleep(0.3)
    assert len(smtp_server.received) == 1
    assert got[0]["from"] == "<noreply@flowstate.test>" and got[0]["to"] == ["<mia@example.com>"]
    m = email.message_from_bytes(got[0]["data"], policy=email.policy.default)
    assert m["To"] == "mia@example.com" and m["From"] == "noreply@flowstate.test"
    token = token_in(m, "https://flowstate.test/reset?t=")
    assert not (pathlib.Path(s.data_dir) / "outbox").exists()
    assert reset(s, token, "smtp-new-pass").status_code == 200
    login(s, "mia", "smtp-new-pass")
    code, err = s.stop()
    assert f"delivered to smtp://127.0.0.1:{port}" in err


def test_password_reset_with_an_smtp_server_that_is_down_answers_alike(make_server):
    s = make_server("--smtp-host", "127.0.0.1", "--smtp-port", "1", "--smtp-starttls", "off")
    register(s, "ned")
    request_reset(s, "ned@example.com")
    time.sleep(1)
    code, err = s.stop()
    assert "not delivered" in err and "smtp://127.0.0.1:1" in err


# ---- events ------------------------------------------------------------------------------------

def test_event_crud_from_the_document(server):
    c, account = user(server, "ana")
    body = {"title": "Team Meeting", "description": "Weekly team sync", "start_time": "2024-01-15T10:00:00Z",
            "end_time": "2024-01-15T11:00:00Z", "category": "work", "is_all_day": False, "is_recurring": False,
            "metadata": {"priority": "high"}}
    r = c.post("/api/events/", body)
    assert r.status_code == 201, r.text
    e = r.json()
    assert list(e) == EVENT_KEYS
    assert UUID_RE.match(e["id"]) and e["user_id"] == account["id"]
    assert {k: e[k] for k in body} == body
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$", e["created_at"])
    assert e["created_at"] == e["updated_at"]

    r = c.get(f"/api/events/{e['id']}")
    assert r.status_code == 200 and r.json() == e

    time.sleep(0.01)
    r = c.put(f"/api/events/{e['id']}", {"title": "Updated Event Title", "start_time": "2024-01-15T14:00:00Z",
                                         "end_time": "2024-01-15T15:00:00Z", "metadata": {"priority": "medium"}})
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["title"] == "Updated Event Title" and u["description"] == "Weekly team sync"
    assert (u["start_time"], u["end_time"]) == ("2024-01-15T14:00:00Z", "2024-01-15T15:00:00Z")
    assert u["metadata"] == {"priority": "medium"} and u["category"] == "work"
    assert u["created_at"] == e["created_at"] and u["updated_at"] > e["updated_at"]

    r = c.put(f"/api/events/{e['id']}", {})
    assert r.status_code == 200 and r.json() == u   # no field named: nothing changes
    r = c.put(f"/api/events/{e['id']}", {"description": None, "category": None, "metadata": None})
    assert r.status_code == 200
    assert (r.json()["description"], r.json()["category"], r.json()["metadata"]) == (None, None, {})

    assert c.delete(f"/api/events/{e['id']}").status_code == 204
    r = c.get(f"/api/events/{e['id']}")
    assert r.status_code == 404 and r.json() == {"detail": "Event not found"}
    assert c.delete(f"/api/events/{e['id']}").status_code == 404


def test_event_defaults_and_metadata_as_given(server):
    c, _ = user(server, "bo")
    e = c.event("Minimal")
    assert (e["description"], e["category"], e["is_all_day"], e["is_recurring"], e["metadata"]) == (
        None, None, False, False, {})
    meta = {"z": 1, "a": {"nested": [1, 2.5, "x", None, True]}, "m": "ü"}
    e = c.event("Meta", "2024-01-16T10:00:00Z", "2024-01-16T11:00:00Z", metadata=meta, is_recurring=True)
    r = c.get(f"/api/events/{e['id']}")
    assert r.json()["metadata"] == meta and list(r.json()["metadata"]) == ["z", "a", "m"]
    assert r.json()["is_recurring"] is True
    big = {"blob": "x" * (16 * 1024)}
    detail = validation(c.post("/api/events/", {"title": "Big", "start_time": "2024-01-17T10:00:00Z",
                                                "end_time": "2024-01-17T11:00:00Z", "metadata": big}))
    assert detail[0]["loc"] == ["body", "metadata"]
    detail = validation(c.post("/api/events/", {"title": "List", "start_time": "2024-01-17T10:00:00Z",
                                                "end_time": "2024-01-17T11:00:00Z", "metadata": [1]}))
    assert detail[0]["loc"] == ["body", "metadata"] and detail[0]["type"] == "dict_type"


def test_event_validation_texts(server):
    c, _ = user(server, "cy")
    for title in ("", "   ", "\t"):
        r = c.post("/api/events/", {"title": title, "start_time": "2024-01-15T10:00:00Z",
                                    "end_time": "2024-01-15T11:00:00Z"})
        assert r.status_code == 400 and r.json() == {"detail": "Event title cannot be empty"}
    for start, end in [("2024-01-15T11:00:00Z", "2024-01-15T10:00:00Z"), ("2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z")]:
        r = c.post("/api/events/", {"title": "T", "start_time": start, "end_time": end})
        assert r.status_code == 400 and r.json() == {"detail": "Event start time must be before end time"}
    e = c.event("Valid")
    r = c.put(f"/api/events/{e['id']}", {"title": " "})
    assert r.status_code == 400 and r.json() == {"detail": "Event title cannot be empty"}
    r = c.put(f"/api/events/{e['id']}", {"end_time": "2024-01-15T09:00:00Z"})
    assert r.status_code == 400 and r.json() == {"detail": "Event start time must be before end time"}
    assert c.get(f"/api/events/{e['id']}").json() == e  # nothing changed

    detail = validation(c.post("/api/events/", {"start_time": "yesterday", "is_all_day": "maybe"}))
    assert [(d["loc"], d["type"]) for d in detail] == [
        (["body", "title"], "missing"), (["body", "start_time"], "datetime_parsing"),
        (["body", "end_time"], "missing"), (["body", "is_all_day"], "bool_type")]
    detail = validation(c.put(f"/api/events/{e['id']}", {"title": None}))
    assert detail[0]["loc"] == ["body", "title"]
    detail = validation(c.post("/api/events/", data="{not json", headers={"Content-Type": "application/json"}))
    assert detail == [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]

    anon = Client(server)
    r = anon.post("/api/events/", {"title": "T"})
    assert r.status_code == 403 and r.json() == {"detail": "Not authenticated"}
    r = Client(server, "not-a-token").get("/api/events/")
    assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}


def test_times_naive_offset_and_all_day(server):
    c, _ = user(server, "di")
    e = c.event("Naive", "2024-03-01T09:30:00", "2024-03-01T10:00:00.250000")
    assert (e["start_time"], e["end_time"]) == ("2024-03-01T09:30:00Z", "2024-03-01T10:00:00.250000Z")
    e = c.event("Offset", "2024-03-02T10:00:00+02:00", "2024-03-02T11:00:00-01:30")
    assert (e["start_time"], e["end_time"]) == ("2024-03-02T08:00:00Z", "2024-03-02T12:30:00Z")
    e = c.event("All day", "2024-03-05T15:00:00Z", "2024-03-06T01:00:00Z", is_all_day=True)
    assert (e["start_time"], e["end_time"]) == ("2024-03-05T00:00:00Z", "2024-03-06T23:59:59.999999Z")
    # Switching an event to all-day on update normalises its days as well.
    e = c.event("Later all day", "2024-03-10T15:00:00Z", "2024-03-10T16:00:00Z")
    r = c.put(f"/api/events/{e['id']}", {"is_all_day": True})
    assert (r.json()["start_time"], r.json()["end_time"]) == ("2024-03-10T00:00:00Z", "2024-03-10T23:59:59.999999Z")


def test_time_conflicts_at_their_edges(server):
    c, _ = user(server, "ed")
    base = c.event("Base", "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z")

    def attempt(start, end):
        return c.post("/api/events/", {"title": "X", "start_time": f"2024-05-01T{start}Z", "end_time": f"2024-05-01T{end}Z"})

    conflict = {"detail": "Event time conflicts with existing events"}
    for start, end in [("10:00:00", "11:00:00"),       # equal
                       ("10:15:00", "10:45:00"),       # nested inside
                       ("09:00:00", "12:00:00"),       # enclosing
                       ("09:30:00", "10:00:00.000001"),  # one microsecond of overlap
                       ("10:59:59", "11:30:00")]:
        r = attempt(start, end)
        assert r.status_code == 409 and r.json() == conflict, (start, end)
    # Back to back is fine, on both sides.
    before = attempt("09:00:00", "10:00:00")
    after = attempt("11:00:00", "12:00:00")
    assert before.status_code == 201 and after.status_code == 201

    # An update does not conflict with the event itself, but does with the others.
    r = c.put(f"/api/events/{base['id']}", {"start_time": "2024-05-01T10:30:00Z", "end_time": "2024-05-01T10:45:00Z"})
    assert r.status_code == 200
    r = c.put(f"/api/events/{base['id']}", {"end_time": "2024-05-01T11:00:01Z"})
    assert r.status_code == 409 and r.json() == conflict
    assert c.get(f"/api/events/{base['id']}").json()["end_time"] == "2024-05-01T10:45:00Z"

    # An all-day event covers its whole day.
    r = c.post("/api/events/", {"title": "Day", "start_time": "2024-05-01T00:00:00Z", "end_time": "2024-05-01T00:00:00Z",
                                "is_all_day": True})
    assert r.status_code == 409
    # Another user's calendar is their own; a deleted event frees its time.
    other, _ = user(server, "fay")
    assert other.post("/api/events/", {"title": "Mine", "start_time": "2024-05-01T10:00:00Z",
                                       "end_time": "2024-05-01T11:00:00Z"}).status_code == 201
    assert c.delete(f"/api/events/{after.json()['id']}").status_code == 204
    assert attempt("11:00:00", "12:00:00").status_code == 201


def test_conflicts_count_events_made_through_other_contracts(server):
    c, _ = user(server, "gil")
    r = c.post("/calendars/", {"name": "Work"})
    assert r.status_code == 201
    r = c.post(f"/calendars/{r.json()['id']}/events/", {"title": "mcal", "start_time": "2024-06-01T10:00:00Z",
                                                        "end_time": "2024-06-01T11:00:00Z"})
    assert r.status_code == 201
    r = c.post("/api/events/", {"title": "X", "start_time": "2024-06-01T10:30:00Z", "end_time": "2024-06-01T12:00:00Z"})
    assert r.status_code == 409


def test_another_users_event_is_403_and_an_unknown_one_404(server):
    owner, _ = user(server, "hal")
    other, _ = user(server, "ivy")
    e = owner.event()
    forbidden = {"detail": "Not enough permissions to access this event"}
    for r in (other.get(f"/api/events/{e['id']}"), other.put(f"/api/events/{e['id']}", {"title": "Mine now"}),
              other.delete(f"/api/events/{e['id']}")):
        assert r.status_code == 403 and r.json() == forbidden
    assert owner.get(f"/api/events/{e['id']}").json() == e
    unknown = str(uuid.uuid4())
    for r in (other.get(f"/api/events/{unknown}"), other.put(f"/api/events/{unknown}", {"title": "x"}),
              other.delete(f"/api/events/{unknown}")):
        assert r.status_code == 404 and r.json() == {"detail": "Event not found"}
    assert other.get("/api/events/").json() == []


def test_list_is_containment_by_whole_days_and_exact_category(server):
    c, _ = user(server, "jo")
    c.event("early", "2024-01-10T08:00:00Z", "2024-01-10T09:00:00Z", category="Work")
    c.event("before", "2024-01-14T22:00:00Z", "2024-01-14T22:30:00Z", category="work")
    c.event("straddles the start", "2024-01-14T23:00:00Z", "2024-01-15T00:00:00Z", category="work")
    a = c.event("a", "2024-01-15T00:00:00Z", "2024-01-15T01:00:00Z", category="work")
    c.event("b", "2024-01-20T10:00:00Z", "2024-01-20T11:00:00Z", category="home")
    late = c.event("late", "2024-01-30T23:00:00Z", "2024-01-30T23:59:59.999999Z", category="work")
    c.event("d", "2024-01-31T20:00:00Z", "2024-01-31T21:00:00Z", category="work")
    c.event("spans out", "2024-01-31T23:00:00Z", "2024-02-01T01:00:00Z", category="work")

    def titles(**params):
        r = c.get("/api/events/", params=params)
        assert r.status_code == 200, r.text
        return [e["title"] for e in r.json()]

    assert titles(start_date="2024-01-15", end_date="2024-01-31") == ["a", "b", "late", "d"]
    assert titles(start_date="2024-01-15", end_date="2024-01-31", category="work") == ["a", "late", "d"]
    assert titles(category="Work") == ["early"]
    assert titles(end_date="2024-01-14") == ["early", "before"]
    assert titles(start_date="2024-02-01") == []
    assert titles() == ["early", "before", "straddles the start", "a", "b", "late", "d", "spans out"]
    assert c.get("/api/events/", params={"start_date": "2024-01-15", "end_date": "2024-01-15"}).json() == [a]
    assert c.get("/api/events/", params={"start_date": "2024-01-30", "end_date": "2024-01-30"}).json() == [late]
    detail = validation(c.get("/api/events/", params={"start_date": "15/01/2024"}))
    assert detail[0]["loc"] == ["query", "start_date"] and detail[0]["type"] == "date_parsing"


# ---- inbox ----------------------------------------------------------------------------------------

def test_inbox_item_lifecycle_and_defaults(server):
    c, account = user(server, "kim")
    item = c.item("Follow up on client proposal")
    assert list(item) == ITEM_KEYS
    assert UUID_RE.match(item["id"]) and item["user_id"] == account["id"]
    assert (item["category"], item["priority"], item["status"]) == ("TODO", 3, "PENDING")
    full = c.item("An idea", category="IDEA", priority=5, status="DONE")
    assert (full["category"], full["priority"], full["status"]) == ("IDEA", 5, "DONE")

    r = c.get(f"/api/inbox/{item['id']}")
    assert r.status_code == 200 and r.json() == item
    time.sleep(0.01)
    r = c.put(f"/api/inbox/{item['id']}", {"priority": 1, "category": "NOTE"})
    assert r.status_code == 200
    u = r.json()
    assert (u["content"], u["category"], u["priority"], u["status"]) == ("Follow up on client proposal", "NOTE", 1, "PENDING")
    assert u["updated_at"] > item["updated_at"] and u["created_at"] == item["created_at"]
    r = c.put(f"/api/inbox/{item['id']}", {})
    assert r.status_code == 200 and r.json() == u   # no field named: nothing changes
    r = c.put(f"/api/inbox/{item['id']}", {"content": "Call them", "status": "ARCHIVED"})
    assert (r.json()["content"], r.json()["status"]) == ("Call them", "ARCHIVED")

    other, _ = user(server, "lee")
    not_found = {"detail": "Inbox item not found or not owned"}
    unknown = str(uuid.uuid4())
    for r in (other.get(f"/api/inbox/{item['id']}"), other.put(f"/api/inbox/{item['id']}", {"priority": 2}),
              other.delete(f"/api/inbox/{item['id']}"), c.get(f"/api/inbox/{unknown}")):
        assert r.status_code == 404 and r.json() == not_found
    assert c.get(f"/api/inbox/{item['id']}").json()["priority"] == 1
    assert c.delete(f"/api/inbox/{item['id']}").status_code == 204
    r = c.get(f"/api/inbox/{item['id']}")
    assert r.status_code == 404 and r.json() == not_found
    detail = validation(c.get("/api/inbox/not-a-uuid"))
    assert detail[0]["loc"] == ["path", "item_id"] and detail[0]["type"] == "uuid_parsing"


def test_inbox_values_out_of_range_are_422(server):
    c, _ = user(server, "max")
    for body, loc in [({}, "content"), ({"content": ""}, "content"), ({"content": "  "}, "content"),
                      ({"content": "x", "category": "WORK"}, "category"),
                      ({"content": "x", "category": "todo"}, "category"),
                      ({"content": "x", "priority": 0}, "priority"), ({"content": "x", "priority": 6}, "priority"),
                      ({"content": "x", "status": "OPEN"}, "status"), ({"content": "x", "status": None}, "status")]:
        detail = validation(c.post("/api/inbox/", body))
        assert detail[0]["loc"] == ["body", loc], (body, detail)
    item = c.item("x")
    detail = validation(c.put(f"/api/inbox/{item['id']}", {"priority": 9}))
    assert detail[0]["loc"] == ["body", "priority"]
    detail = validation(c.put(f"/api/inbox/{item['id']}", {"content": " "}))
    assert detail[0]["loc"] == ["body", "content"]
    assert c.items() == [item]


def test_inbox_listing_filters(server):
    c, _ = user(server, "ned")
    made = [c.item(f"i{n}", category=cat, priority=p, status=st) for n, (cat, p, st) in enumerate([
        ("TODO", 1, "PENDING"), ("IDEA", 5, "PENDING"), ("NOTE", 3, "ARCHIVED"),
        ("TODO", 4, "DONE"), ("IDEA", 2, "SCHEDULED")])]
    other, _ = user(server, "oz")
    other.item("not yours", category="TODO", priority=1)

    def contents(**params):
        return [i["content"] for i in c.items(**params)]

    assert contents() == ["i4", "i3", "i2", "i1", "i0"]   # newest first
    assert contents(categories="TODO,NOTE") == ["i3", "i2", "i0"]
    assert contents(categories="TODO, NOTE", statuses="PENDING") == ["i0"]
    assert contents(categories="TODO,NOTE", statuses="PENDING", filter_logic="OR") == ["i3", "i2", "i1", "i0"]
    assert contents(priorities="1,5") == ["i1", "i0"]
    assert contents(priority_min=2, priority_max=4) == ["i4", "i3", "i2"]
    assert contents(priority_min=4) == ["i3", "i1"]
    assert contents(priority_max=1) == ["i0"]
    assert contents(priority_min=2, priority_max=4, priorities="5") == []
    assert contents(priority_min=2, priority_max=4, priorities="5", filter_logic="OR") == ["i4", "i3", "i2", "i1"]
    assert contents(statuses="SCHEDULED,DONE", filter_logic="AND") == ["i4", "i3"]
    assert contents(skip=1, limit=2) == ["i3", "i2"]
    assert contents(skip=10) == []
    assert c.items()[0] == made[4]
    for params, loc in [({"categories": "TODO,WORK"}, "categories"), ({"statuses": "OPEN"}, "statuses"),
                        ({"priorities": "1,7"}, "priorities"), ({"priority_min": 0}, "priority_min"),
                        ({"filter_logic": "XOR"}, "filter_logic"), ({"limit": 0}, "limit"), ({"skip": -1}, "skip")]:
        detail = validation(c.get("/api/inbox/", params=params))
        assert detail[0]["loc"] == ["query", loc], (params, detail)


def test_inbox_bulk_routes_count_only_the_callers_items(server):
    c, _ = user(server, "pat")
    mine = [c.item(f"m{n}") for n in range(3)]
    other, _ = user(server, "quinn")
    theirs = other.item("theirs")
    ids = [mine[0]["id"], mine[1]["id"], theirs["id"], str(uuid.uuid4()), mine[0]["id"]]
    r = c.post("/api/inbox/bulk/status", {"item_ids": ids, "new_status": "DONE"})
    assert r.status_code == 200 and r.json() == {"message": "2 items updated"}
    assert [i["status"] for i in c.items()] == ["PENDING", "DONE", "DONE"]
    assert other.items()[0]["status"] == "PENDING"

    r = c.post("/api/inbox/bulk/archive", {"item_ids": [i["id"] for i in mine] + [theirs["id"]]})
    assert r.status_code == 200 and r.json() == {"message": "3 items archived"}
    assert {i["status"] for i in c.items()} == {"ARCHIVED"}
    assert other.items() == [theirs]
    r = c.post("/api/inbox/bulk/archive", {"item_ids": []})
    assert r.status_code == 200 and r.json() == {"message": "0 items archived"}
    r = c.post("/api/inbox/bulk/status", {"item_ids": [theirs["id"]], "new_status": "DONE"})
    assert r.status_code == 200 and r.json() == {"message": "0 items updated"}
    assert other.items() == [theirs]

    detail = validation(c.post("/api/inbox/bulk/status", {"item_ids": ids, "new_status": "GONE"}))
    assert detail[0]["loc"] == ["body", "new_status"]
    detail = validation(c.post("/api/inbox/bulk/archive", {"item_ids": ["nope"]}))
    assert detail[0]["loc"] == ["body", "item_ids", 0]
    detail = validation(c.post("/api/inbox/bulk/status", {"new_status": "DONE"}))
    assert detail[0]["loc"] == ["body", "item_ids"]


def test_convert_to_event_from_the_document(server, almanac):
    c, account = user(server, "rae")
    item = c.item("Follow up on client proposal", category="IDEA")
    body = {"item_id": item["id"], "start_time": "2023-10-27T09:00:00Z", "end_time": "2023-10-27T10:00:00Z",
            "event_title": "Follow up on client proposal", "is_all_day": False, "event_category": "Work",
            "event_metadata": {"origin": "inbox", "priority": "high"}}
    r = c.post("/api/inbox/convert_to_event", body, headers={"X-Request-ID": "convert-1"})
    assert r.status_code == 201, r.text
    e = r.json()
    assert list(e) == EVENT_KEYS + ["event_metadata"]
    expected_meta = {"converted_from_inbox_item_id": item["id"], "origin": "inbox", "priority": "high"}
    assert e["metadata"] == expected_meta and e["event_metadata"] == expected_meta
    assert (e["title"], e["category"], e["user_id"]) == ("Follow up on client proposal", "Work", account["id"])
    assert (e["start_time"], e["end_time"], e["is_recurring"]) == ("2023-10-27T09:00:00Z", "2023-10-27T10:00:00Z", False)
    assert e["description"] == "Follow up on client proposal"
    assert c.get(f"/api/inbox/{item['id']}").json()["status"] == "SCHEDULED"
    fetched = c.get(f"/api/events/{e['id']}").json()
    assert fetched == {k: v for k, v in e.items() if k != "event_metadata"}

    # Defaults from the item: title, description (short content), category.
    note = c.item("Buy milk", category="NOTE")
    r = c.post("/api/inbox/convert_to_event", {"item_id": note["id"], "start_time": "2023-10-28T09:00:00",
                                               "end_time": "2023-10-28T09:30:00"})
    assert r.status_code == 201
    d = r.json()
    assert (d["title"], d["description"], d["category"]) == ("Buy milk", "Buy milk", "NOTE")
    assert d["metadata"] == {"converted_from_inbox_item_id": note["id"]}
    long_item = c.item("x" * 300)
    r = c.post("/api/inbox/convert_to_event", {"item_id": long_item["id"], "start_time": "2023-10-29T09:00:00Z",
                                               "end_time": "2023-10-29T09:30:00Z", "event_title": "Long one"})
    assert r.status_code == 201 and r.json()["description"] is None

    # A conflict changes nothing: no event, the item stays as it was.
    pending = c.item("Clashes")
    before = c.get("/api/events/").json()
    r = c.post("/api/inbox/convert_to_event", {"item_id": pending["id"], "start_time": "2023-10-27T09:30:00Z",
                                               "end_time": "2023-10-27T10:30:00Z"})
    assert r.status_code == 409 and r.json() == {"detail": "Event time conflicts with existing events"}
    assert c.get("/api/events/").json() == before
    assert c.get(f"/api/inbox/{pending['id']}").json() == pending
    r = c.post("/api/inbox/convert_to_event", {"item_id": pending["id"], "start_time": "2023-11-01T10:00:00Z",
                                               "end_time": "2023-11-01T09:00:00Z"})
    assert r.status_code == 400 and r.json() == {"detail": "Event start time must be before end time"}

    other, _ = user(server, "sol")
    for item_id in (pending["id"], str(uuid.uuid4())):
        r = other.post("/api/inbox/convert_to_event", {"item_id": item_id, "start_time": "2023-11-01T09:00:00Z",
                                                       "end_time": "2023-11-01T10:00:00Z"})
        assert r.status_code == 404 and r.json() == {"detail": "Inbox item not found or not owned"}
    detail = validation(c.post("/api/inbox/convert_to_event", {"item_id": "x"}))
    assert [d["loc"] for d in detail] == [["body", "item_id"], ["body", "start_time"], ["body", "end_time"]]

    # One append: the event and the item's move, at consecutive positions of one transaction.
    code, _ = server.stop()
    assert code == 0
    out = subprocess.run([almanac, "log", "--data", server.data_dir, "--json"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    mine = [x for x in entries if x.get("correlation_id") == "convert-1"]
    assert [x["payload_type"] for x in mine] == ["EventScheduled", "InboxItemScheduled"]
    assert mine[1]["position"] == mine[0]["position"] + 1 and mine[0]["recorded_at"] == mine[1]["recorded_at"]


def test_inbox_and_events_survive_a_restart(make_server, tmp_path):
    data = tmp_path / "restart"
    s = make_server(data_dir=data)
    c, _ = user(s, "tia")
    e = c.event("Kept", metadata={"k": [1, 2]})
    item = c.item("Kept too", category="IDEA", priority=4, status="DONE")
    assert s.stop()[0] == 0
    s2 = make_server(data_dir=data)
    c2 = Client(s2, login(s2, "tia"))
    assert c2.get(f"/api/events/{e['id']}").json() == e
    assert c2.get(f"/api/inbox/{item['id']}").json() == item


# ---- /ws/sync -------------------------------------------------------------------------------------

def close_code(exc):
    rcvd = getattr(exc, "rcvd", None)
    return rcvd.code if rcvd is not None else exc.code


async def receive(ws, timeout=10, skip_pings=True):
    """The next message (JSON), answering and skipping the server's pings."""
    deadline = time.time() + timeout
    while True:
        remaining = deadline - time.time()
        assert remaining > 0, "no message in time"
        msg = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if skip_pings and msg == {"type": "ping", "payload": {}}:
            await ws.send(json.dumps({"type": "pong", "payload": {}}))
            continue
        return msg


async def nothing_but_pings(ws, seconds):
    """Asserts that nothing but pings arrives for `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            msg = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.time()))
        except asyncio.TimeoutError:
            return
        assert msg["type"] == "ping", msg
        await ws.send(json.dumps({"type": "pong", "payload": {}}))


def connect(server, token):
    return websockets.connect(server.ws_url(f"/ws/sync?token={token}"), open_timeout=10, close_timeout=5,
                              ping_interval=None)


def test_ws_refuses_a_missing_or_bad_token_with_1008(server):
    c, _ = user(server, "uma")

    async def code_for(path):
        async with websockets.connect(server.ws_url(path), open_timeout=10, ping_interval=None) as ws:
            with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
                await asyncio.wait_for(ws.recv(), 10)
            return close_code(e.value)

    assert asyncio.run(code_for("/ws/sync")) == 1008
    assert asyncio.run(code_for("/ws/sync?token=not-a-token")) == 1008
    assert asyncio.run(code_for("/ws/sync?token=")) == 1008
    # Without the upgrade, a signed-in GET is told to upgrade.
    assert requests.get(server.url("/ws/sync"), headers=bearer(c.token)).status_code == 426


def test_ws_envelope_ack_errors_and_client_ping(server):
    c, _ = user(server, "val")

    async def run():
        async with connect(server, c.token) as ws:
            await ws.send(json.dumps({"type": "ping", "payload": {}}))
            assert await receive(ws) == {"type": "pong", "payload": {}}
            await ws.send(json.dumps({"type": "event_update", "payload": {"id": 1}}))
            assert await receive(ws) == {"type": "ack", "payload": {"received_type": "event_update", "status": "ok"}}
            await ws.send(json.dumps({"type": "inbox_update", "payload": {"item": 123}}))
            assert await receive(ws) == {"type": "ack", "payload": {"received_type": "inbox_update", "status": "ok"}}
            await ws.send(json.dumps({"type": "teleport", "payload": {}}))
            assert await receive(ws) == {"type": "error", "payload": {"detail": "unknown_type"}}
            for bad in ["not json", "[1, 2]", json.dumps({"payload": {}}), json.dumps({"type": 5}),
                        json.dumps({"type": "ping", "payload": [1]}), '"ping"']:
                await ws.send(bad)
                assert await receive(ws) == {"type": "error", "payload": {"detail": "invalid_message"}}, bad
            # Without a payload the envelope still reads.
            await ws.send(json.dumps({"type": "ping"}))
            assert await receive(ws) == {"type": "pong", "payload": {}}

    asyncio.run(run())


def test_ws_heartbeat_pings_and_closes_with_4000_without_pongs(make_server):
    s = make_server("--ws-ping-interval", "0.3", "--ws-pong-timeout", "1")
    c, _ = user(s, "wes")

    async def answering():
        async with connect(s, c.token) as ws:
            pings = 0
            deadline = time.time() + 2.5
            while time.time() < deadline:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert msg == {"type": "ping", "payload": {}}
                pings += 1
                await ws.send(json.dumps({"type": "pong", "payload": {}}))
            assert pings >= 5   # one every 0.3 s, and the connection outlived the 1 s timeout
            await ws.send(json.dumps({"type": "ping", "payload": {}}))
            assert await receive(ws) == {"type": "pong", "payload": {}}

    async def silent():
        async with connect(s, c.token) as ws:
            started = time.time()
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert first == {"type": "ping", "payload": {}}
            with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
                while True:
                    await asyncio.wait_for(ws.recv(), 5)   # pings, unanswered
            elapsed = time.time() - started
            assert close_code(e.value) == 4000
            assert 1.0 <= elapsed < 3.0, elapsed

    asyncio.run(answering())
    asyncio.run(silent())


def test_ws_syncs_the_users_events_and_items_to_every_connection_and_nobody_else(server):
    a, _ = user(server, "xan")
    b, _ = user(server, "yul")

    async def run():
        async with connect(server, a.token) as a1, connect(server, a.token) as a2, connect(server, b.token) as b1:
            loop = asyncio.get_running_loop()
            # A pong proves the session runs, so it is subscribed to what follows.
            for ws in (a1, a2, b1):
                await ws.send(json.dumps({"type": "ping", "payload": {}}))
                assert await receive(ws) == {"type": "pong", "payload": {}}

            async def rest(fn, *args, **kw):
                return await loop.run_in_executor(None, lambda: fn(*args, **kw))

            async def both(expected_type):
                m1, m2 = await receive(a1), await receive(a2)
                assert m1 == m2, (m1, m2)
                assert m1["type"] == expected_type, m1
                return m1["payload"]

            e = await rest(a.event, "Synced", metadata={"k": "v"})
            assert await both("event_created") == e
            r = await rest(a.put, f"/api/events/{e['id']}", {"title": "Renamed"})
            assert (await both("event_updated")) == r.json()
            assert (await rest(a.delete, f"/api/events/{e['id']}")).status_code == 204
            assert await both("event_deleted") == {"event_id": e["id"]}

            item = await rest(a.item, "Synced item")
            assert await both("inbox_item_created") == item
            r = await rest(a.put, f"/api/inbox/{item['id']}", {"priority": 5})
            assert await both("inbox_item_updated") == r.json()
            r = await rest(a.post, "/api/inbox/bulk/archive", {"item_ids": [item["id"]]})
            assert (await both("inbox_item_updated"))["status"] == "ARCHIVED"
            assert (await rest(a.delete, f"/api/inbox/{item['id']}")).status_code == 204
            assert await both("inbox_item_deleted") == {"inbox_item_id": item["id"]}

            # convert_to_event: the event and the item's move.
            item = await rest(a.item, "To convert")
            await both("inbox_item_created")
            r = await rest(a.post, "/api/inbox/convert_to_event", {"item_id": item["id"],
                                                                   "start_time": "2024-07-01T09:00:00Z",
                                                                   "end_time": "2024-07-01T10:00:00Z"})
            assert r.status_code == 201
            created = await both("event_created")
            assert created["id"] == r.json()["id"]
            assert (await both("inbox_item_updated"))["status"] == "SCHEDULED"

            # A change made through mcal reaches the same connections.
            cal = (await rest(a.post, "/calendars/", {"name": "Work"})).json()
            r = await rest(a.post, f"/calendars/{cal['id']}/events/", {"title": "From mcal",
                                                                      "start_time": "2024-08-01T10:00:00Z",
                                                                      "end_time": "2024-08-01T11:00:00Z"})
            assert r.status_code == 201
            m = await both("event_created")
            assert m["title"] == "From mcal" and m["start_time"] == "2024-08-01T10:00:00Z"
            assert (await rest(a.delete, f"/calendars/{cal['id']}/")).status_code == 204
            assert await both("event_deleted") == {"event_id": m["id"]}

            # The other user's connection saw none of it, and sees its own changes.
            await nothing_but_pings(b1, 0.5)
            mine = await rest(b.event, "B's")
            assert await receive(b1) == {"type": "event_created", "payload": mine}
            await nothing_but_pings(a1, 0.5)

    asyncio.run(run())


def test_openapi_lists_the_flowstate_routes(server):
    doc = requests.get(server.url("/openapi.json")).json()
    for path, methods in {"/api/events/": {"get", "post"}, "/api/events/{event_id}": {"get", "put", "delete"},
                          "/api/inbox/": {"get", "post"}, "/api/inbox/{item_id}": {"get", "put", "delete"},
                          "/api/inbox/bulk/status": {"post"}, "/api/inbox/bulk/archive": {"post"},
                          "/api/inbox/convert_to_event": {"post"}, "/users/request-password-reset": {"post"},
                          "/users/reset-password": {"post"}, "/ws/sync": {"get"}}.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, doc["paths"][path].keys())
        for m in methods:
            assert "flowstate" in doc["paths"][path][m]["tags"]
