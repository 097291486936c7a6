"""The collab contract (seeds/000) over real HTTP and WebSocket: every route with the
document's examples, its error codes, roles on every event route, batches, notifications
over HTTP and WebSocket, refresh rotation, MessagePack, rate limits and the version history
read from the log (docs/contracts/collab.md)."""
import asyncio
import json
import re
import time

import msgpack
import pytest
import requests
import websockets

from clients import Client, bearer

UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PASSWORD = "securepass"

MEETING = {"title": "Team Meeting", "description": "Weekly sync", "start_time": "2024-03-20T10:00:00Z",
           "end_time": "2024-03-20T11:00:00Z", "location": "Conference Room", "is_recurring": False}
EVENT_KEYS = ["id", "title", "description", "start_time", "end_time", "location", "is_recurring",
              "created_by", "created_at", "updated_at"]


def collab_user(server, name):
    """Registers `name` through collab and logs in with the document's form; a Client."""
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": f"{name}@example.com", "password": PASSWORD, "username": name})
    assert r.status_code == 201, r.text
    r = requests.post(server.url("/api/auth/login"), data={"username": f"{name}@example.com", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client = Client(server, r.json()["access_token"])
    client.tokens = r.json()
    return client


@pytest.fixture
def users(server):
    """alice (owner), bob, carol, dave: Clients with .id."""
    out = {}
    for i, name in enumerate(["alice", "bob", "carol", "dave"], start=1):
        c = collab_user(server, name)
        c.id = i
        out[name] = c
    return out


def detail(r):
    return r.json()["detail"]


def event(client, **over):
    r = client.post("/api/events", {**MEETING, **over})
    assert r.status_code == 201, r.text
    return r.json()


def share(owner, event_id, user, role):
    return owner.post(f"/api/events/{event_id}/share", {"user_id": user.id, "role": role})


# ---- the document's examples --------------------------------------------------------------

def test_document_examples(server, users):
    alice, bob = users["alice"], users["bob"]
    r = alice.post("/api/events", MEETING)
    assert r.status_code == 201
    e = r.json()
    assert list(e) == EVENT_KEYS
    assert {k: e[k] for k in MEETING} == MEETING
    assert e["id"] == 1 and e["created_by"] == alice.id
    assert UTC_RE.match(e["created_at"]) and e["created_at"] == e["updated_at"]

    r = alice.get("/api/events", params={"start_time": "2024-03-20T00:00:00Z", "end_time": "2024-03-21T00:00:00Z",
                                         "skip": 0, "limit": 100})
    assert r.status_code == 200
    assert r.json() == {"total": 1, "items": [e]}

    r = alice.get("/api/events/1")
    assert r.status_code == 200
    assert r.json() == {**e, "permissions": [{"user_id": alice.id, "role": "OWNER"}]}

    time.sleep(1.1)  # updated_at moves on by whole seconds in the document's format
    r = alice.put("/api/events/1", {"title": "Updated Team Meeting", "description": "Updated description"})
    assert r.status_code == 200
    updated = r.json()
    assert list(updated) == EVENT_KEYS
    assert updated["title"] == "Updated Team Meeting" and updated["description"] == "Updated description"
    assert updated["location"] == "Conference Room" and updated["start_time"] == MEETING["start_time"]
    assert updated["updated_at"] != e["updated_at"] and updated["created_at"] == e["created_at"]

    r = share(alice, 1, bob, "EDITOR")
    assert r.status_code == 200
    assert r.json() == {"event_id": 1, "user_id": bob.id, "role": "EDITOR"}

    r = alice.post("/api/events/batch", {"events": [
        {"title": "Event 1", "start_time": "2024-03-20T10:00:00Z", "end_time": "2024-03-20T11:00:00Z"},
        {"title": "Event 2", "start_time": "2024-03-21T10:00:00Z", "end_time": "2024-03-21T11:00:00Z"}]})
    assert r.status_code == 201
    assert r.json() == {"created": 2, "events": [
        {"id": 2, "title": "Event 1", "start_time": "2024-03-20T10:00:00Z", "end_time": "2024-03-20T11:00:00Z"},
        {"id": 3, "title": "Event 2", "start_time": "2024-03-21T10:00:00Z", "end_time": "2024-03-21T11:00:00Z"}]}

    # bob edits: alice hears of it, as in the document's example.
    assert bob.put("/api/events/1", {"title": "Team Meeting"}).status_code == 200
    r = alice.get("/api/notifications")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    n = body["items"][0]
    assert list(n) == ["id", "type", "event_id", "message", "is_read", "created_at"]
    assert n["type"] == "event.update" and n["event_id"] == 1 and n["is_read"] is False
    assert n["message"] == "Event 'Updated Team Meeting' was updated"
    r = alice.put(f"/api/notifications/{n['id']}/read")
    assert r.status_code == 200 and r.json() == {**n, "is_read": True}
    r = alice.put("/api/notifications/read-all")
    assert r.status_code == 204 and r.content == b""

    r = alice.delete("/api/events/1")
    assert r.status_code == 204 and r.content == b""
    assert alice.get("/api/events/1").status_code == 404


def test_documented_error_shapes(server, users):
    alice, bob = users["alice"], users["bob"]
    r = alice.post("/api/events", {k: v for k, v in MEETING.items() if k != "title"})
    assert r.status_code == 400
    assert r.json() == {"detail": {"code": "VALIDATION_ERROR", "message": "Validation error",
                                   "errors": [{"field": "title", "message": "Field required"}]}}
    r = requests.post(server.url("/api/auth/login"), data={"username": "alice", "password": "nope-nope"})
    assert r.status_code == 401
    assert r.json() == {"detail": {"code": "UNAUTHORIZED", "message": "Invalid credentials"}}
    e = event(alice)
    assert share(alice, e["id"], bob, "VIEWER").status_code == 200
    r = bob.put(f"/api/events/{e['id']}", {"title": "mine now"})
    assert r.status_code == 403
    assert r.json() == {"detail": {"code": "FORBIDDEN", "message": "Insufficient permissions"}}
    r = alice.get("/api/events/999")
    assert r.status_code == 404
    assert r.json() == {"detail": {"code": "NOT_FOUND", "message": "Event not found"}}
    r = requests.get(server.url("/api/events"))
    assert r.status_code == 401 and detail(r)["code"] == "UNAUTHORIZED"
    # end before start, a bad time, a bad role
    r = alice.post("/api/events", {**MEETING, "end_time": "2024-03-20T09:00:00Z"})
    assert r.status_code == 400 and detail(r)["errors"][0]["field"] == "end_time"
    r = alice.post("/api/events", {**MEETING, "start_time": "tomorrow"})
    assert r.status_code == 400 and detail(r)["errors"] == [
        {"field": "start_time", "message": "Input should be a valid datetime in ISO 8601 format (YYYY-MM-DDTHH:MM:SS)"}]
    r = share(alice, e["id"], bob, "KING")
    assert r.status_code == 400 and detail(r)["errors"][0]["field"] == "role"
    # a body over 1 MiB
    r = alice.post("/api/events", data=b"x" * ((1 << 20) + 1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and detail(r)["code"] == "PAYLOAD_TOO_LARGE"


# ---- roles --------------------------------------------------------------------------------

def test_roles_on_every_event_route(server, users):
    alice, bob, carol, dave = users["alice"], users["bob"], users["carol"], users["dave"]
    e = event(alice)
    eid = e["id"]
    assert share(alice, eid, bob, "EDITOR").status_code == 200
    assert share(alice, eid, carol, "VIEWER").status_code == 200

    # A stranger learns nothing: 404 everywhere.
    for method, path, body in [("GET", f"/api/events/{eid}", None), ("PUT", f"/api/events/{eid}", {"title": "x"}),
                               ("DELETE", f"/api/events/{eid}", None),
                               ("POST", f"/api/events/{eid}/share", {"user_id": dave.id, "role": "VIEWER"}),
                               ("GET", f"/api/events/{eid}/permissions", None),
                               ("GET", f"/api/events/{eid}/history", None),
                               ("POST", f"/api/events/{eid}/rollback/1", None)]:
        r = dave.req(method, path, body)
        assert r.status_code == 404, (method, path, r.text)
    assert dave.get("/api/events").json() == {"total": 0, "items": []}

    # Viewer: reads, never writes.
    assert carol.get(f"/api/events/{eid}").status_code == 200
    assert carol.get(f"/api/events/{eid}/permissions").status_code == 200
    for method, path, body in [("PUT", f"/api/events/{eid}", {"title": "x"}), ("DELETE", f"/api/events/{eid}", None),
                               ("POST", f"/api/events/{eid}/share", {"user_id": dave.id, "role": "VIEWER"}),
                               ("PUT", f"/api/events/{eid}/permissions/{dave.id}", {"role": "VIEWER"}),
                               ("POST", f"/api/events/{eid}/rollback/1", None)]:
        r = carol.req(method, path, body)
        assert r.status_code == 403, (method, path, r.text)
        assert detail(r)["code"] == "FORBIDDEN"

    # Editor: edits, but neither deletes nor shares.
    assert bob.put(f"/api/events/{eid}", {"location": "Room 2"}).status_code == 200
    assert bob.delete(f"/api/events/{eid}").status_code == 403
    assert bob.post(f"/api/events/{eid}/share", {"user_id": dave.id, "role": "VIEWER"}).status_code == 403
    assert bob.delete(f"/api/events/{eid}/permissions/{carol.id}").status_code == 403

    # Owner: sharing again replaces the role; permissions beyond the document.
    assert share(alice, eid, carol, "EDITOR").json()["role"] == "EDITOR"
    assert alice.get(f"/api/events/{eid}/permissions").json() == [
        {"user_id": alice.id, "role": "OWNER"}, {"user_id": bob.id, "role": "EDITOR"},
        {"user_id": carol.id, "role": "EDITOR"}]
    r = alice.put(f"/api/events/{eid}/permissions/{carol.id}", {"role": "VIEWER"})
    assert r.status_code == 200 and r.json() == {"event_id": eid, "user_id": carol.id, "role": "VIEWER"}
    assert alice.delete(f"/api/events/{eid}/permissions/{carol.id}").status_code == 204
    assert carol.get(f"/api/events/{eid}").status_code == 404
    r = alice.delete(f"/api/events/{eid}/permissions/{alice.id}")
    assert r.status_code == 400 and detail(r)["code"] == "VALIDATION_ERROR"
    assert alice.post(f"/api/events/{eid}/share", {"user_id": 999, "role": "VIEWER"}).status_code == 404
    assert alice.delete(f"/api/events/{eid}/permissions/{dave.id}").status_code == 404
    # The shared event is in the editor's list too.
    assert [i["id"] for i in bob.get("/api/events").json()["items"]] == [eid]
    assert alice.delete(f"/api/events/{eid}").status_code == 204


# ---- listing ------------------------------------------------------------------------------

def test_list_is_the_half_open_window_ordered_by_start_then_id(server, users):
    alice, bob = users["alice"], users["bob"]
    day = "2024-03-20"
    made = [
        event(alice, title="late", start_time=f"{day}T15:00:00Z", end_time=f"{day}T16:00:00Z"),
        event(alice, title="early", start_time=f"{day}T08:00:00Z", end_time=f"{day}T09:00:00Z"),
        event(alice, title="also early", start_time=f"{day}T08:00:00Z", end_time=f"{day}T08:30:00Z"),
        event(alice, title="overnight", start_time="2024-03-19T22:00:00Z", end_time=f"{day}T01:00:00Z"),
        event(alice, title="ends at the window", start_time="2024-03-19T20:00:00Z", end_time=f"{day}T00:00:00Z"),
        event(alice, title="next day", start_time="2024-03-21T00:00:00Z", end_time="2024-03-21T01:00:00Z"),
    ]
    event(bob, title="bob's", start_time=f"{day}T10:00:00Z", end_time=f"{day}T11:00:00Z")
    window = {"start_time": f"{day}T00:00:00Z", "end_time": "2024-03-21T00:00:00Z"}
    r = alice.get("/api/events", params=window)
    assert [i["title"] for i in r.json()["items"]] == ["overnight", "early", "also early", "late"]
    assert r.json()["total"] == 4
    r = alice.get("/api/events", params={**window, "skip": 1, "limit": 2})
    assert r.json()["total"] == 4 and [i["title"] for i in r.json()["items"]] == ["early", "also early"]
    assert alice.get("/api/events").json()["total"] == len(made)
    r = alice.get("/api/events", params={"limit": 0})
    assert r.status_code == 400 and detail(r)["errors"][0]["field"] == "limit"


# ---- batches ------------------------------------------------------------------------------

def test_batch_is_all_or_nothing_and_bounded(make_server):
    s = make_server("--batch-max-events", "5")
    alice = collab_user(s, "alice")
    good = {"title": "ok", "start_time": "2024-03-20T10:00:00Z", "end_time": "2024-03-20T11:00:00Z"}
    r = alice.post("/api/events/batch", {"events": [good, {**good, "end_time": "2024-03-20T09:00:00Z"}, good]})
    assert r.status_code == 400
    assert detail(r)["errors"] == [{"field": "events.1.end_time", "message": "end_time must be after start_time"}]
    r = alice.post("/api/events/batch", {"events": [good, {"start_time": "2024-03-20T10:00:00Z"}]})
    assert r.status_code == 400
    assert {e["field"] for e in detail(r)["errors"]} == {"events.1.title", "events.1.end_time"}
    assert alice.get("/api/events").json()["total"] == 0
    r = alice.post("/api/events/batch", {"events": [good] * 6})
    assert r.status_code == 400 and detail(r)["errors"][0]["field"] == "events"
    r = alice.post("/api/events/batch", {"events": [good] * 5})
    assert r.status_code == 201 and r.json()["created"] == 5
    assert [e["id"] for e in r.json()["events"]] == [1, 2, 3, 4, 5]


def test_a_batch_is_one_append(server):
    alice = collab_user(server, "alice")

    def appends():
        text = requests.get(server.url("/metrics")).text
        return float(re.search(r"^almanac_log_appends_total (\S+)$", text, re.M).group(1))

    before = appends()
    events = [{"title": f"E{i}", "start_time": "2024-03-20T10:00:00Z", "end_time": "2024-03-20T11:00:00Z"}
              for i in range(100)]
    r = alice.post("/api/events/batch", {"events": events})
    assert r.status_code == 201 and r.json()["created"] == 100
    assert appends() - before == 1


# ---- notifications ------------------------------------------------------------------------

def test_notifications_reach_everyone_with_a_role_but_the_actor(server, users):
    alice, bob, carol, dave = users["alice"], users["bob"], users["carol"], users["dave"]
    e = event(alice)
    eid = e["id"]
    share(alice, eid, bob, "EDITOR")
    share(alice, eid, carol, "VIEWER")

    def notes(c):
        return c.get("/api/notifications").json()["items"]

    assert [n["message"] for n in notes(bob)] == ["Event 'Team Meeting' was shared with 'carol'",
                                                 "Event 'Team Meeting' was shared with you"]
    assert [n["message"] for n in notes(carol)] == ["Event 'Team Meeting' was shared with you"]
    assert notes(alice) == []  # the actor is never told
    bob.put(f"/api/events/{eid}", {"title": "Renamed"})
    assert notes(alice)[0]["message"] == "Event 'Team Meeting' was updated"
    assert notes(carol)[0]["type"] == "event.update"
    assert notes(bob)[0]["type"] == "event.share"  # not told of their own update
    assert notes(dave) == []
    alice.delete(f"/api/events/{eid}")
    assert notes(bob)[0]["message"] == "Event 'Renamed' was deleted"
    assert notes(carol)[0]["type"] == "event.delete"

    # Another user's notification is unknown; read marks and read-all.
    mine = notes(carol)[0]["id"]
    assert bob.put(f"/api/notifications/{mine}/read").status_code == 404
    assert carol.put(f"/api/notifications/{mine}/read").json()["is_read"] is True
    assert carol.put("/api/notifications/read-all").status_code == 204
    assert all(n["is_read"] for n in notes(carol))
    assert not all(n["is_read"] for n in notes(bob))
    r = carol.get("/api/notifications", params={"skip": 1, "limit": 1})
    assert r.json()["total"] == 3 and len(r.json()["items"]) == 1


async def receive(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_notifications_over_websocket(server, users):
    alice, bob = users["alice"], users["bob"]
    e = event(alice)
    share(alice, e["id"], bob, "EDITOR")

    async def scenario():
        url = server.ws_url(f"/api/notifications/ws?token={alice.token}")
        async with websockets.connect(url) as one, websockets.connect(url) as two:
            async with websockets.connect(server.ws_url(f"/api/notifications/ws?token={bob.token}")) as actor:
                await asyncio.sleep(0.2)
                await asyncio.to_thread(bob.put, f"/api/events/{e['id']}", {"title": "Moved"})
                for ws in (one, two):
                    m = await receive(ws)
                    assert m["type"] == "notification"
                    assert list(m["data"]) == ["type", "event_id", "message", "timestamp"]
                    assert m["data"]["type"] == "event.update" and m["data"]["event_id"] == e["id"]
                    assert m["data"]["message"] == "Event 'Team Meeting' was updated"
                    assert UTC_RE.match(m["data"]["timestamp"])
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(actor.recv(), 1)  # the actor is not told
            # Logging out closes the session's connections.
            r = await asyncio.to_thread(alice.post, "/api/auth/logout")
            assert r.status_code == 204
            await asyncio.to_thread(bob.put, f"/api/events/{e['id']}", {"title": "Again"})
            for ws in (one, two):
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    while True:
                        await receive(ws)
                assert closed.value.rcvd.code == 1008

        for token in ("", "not-a-token"):
            async with websockets.connect(server.ws_url(f"/api/notifications/ws?token={token}")) as ws:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await receive(ws)
                assert closed.value.rcvd.code == 1008

    asyncio.run(scenario())


# ---- tokens -------------------------------------------------------------------------------

def test_refresh_rotates_and_reuse_revokes_the_session(server, users):
    alice = users["alice"]
    first = alice.tokens
    r = requests.post(server.url("/api/auth/refresh"), headers=bearer(first["refresh_token"]))
    assert r.status_code == 200
    second = r.json()
    assert list(second) == ["access_token", "refresh_token", "token_type"]
    assert Client(server, second["access_token"]).get("/api/events").status_code == 200
    # The first refresh token again: reuse, the whole session ends.
    r = requests.post(server.url("/api/auth/refresh"), headers=bearer(first["refresh_token"]))
    assert r.status_code == 401 and detail(r)["code"] == "UNAUTHORIZED"
    for token in (first["access_token"], second["access_token"]):
        assert Client(server, token).get("/api/events").status_code == 401
    assert requests.post(server.url("/api/auth/refresh"), headers=bearer(second["refresh_token"])).status_code == 401


# ---- MessagePack, limits ------------------------------------------------------------------

def test_messagepack_both_ways_with_the_documents_examples(server, users):
    alice = users["alice"]
    r = alice.packed("POST", "/api/events", MEETING)
    assert r.status_code == 201 and r.headers["Content-Type"].startswith("application/x-msgpack")
    e = msgpack.unpackb(r.content)
    assert {k: e[k] for k in MEETING} == MEETING
    r = alice.packed("GET", "/api/events", params={"start_time": "2024-03-20T00:00:00Z",
                                                    "end_time": "2024-03-21T00:00:00Z"})
    assert msgpack.unpackb(r.content) == {"total": 1, "items": [e]}
    r = alice.packed("POST", "/api/events/batch", {"events": [
        {"title": "Event 1", "start_time": "2024-03-20T10:00:00Z", "end_time": "2024-03-20T11:00:00Z"}]})
    assert r.status_code == 201 and msgpack.unpackb(r.content)["created"] == 1
    r = alice.packed("PUT", f"/api/events/{e['id']}", {"title": "Updated Team Meeting"})
    assert msgpack.unpackb(r.content)["title"] == "Updated Team Meeting"
    r = alice.packed("GET", "/api/events/999")
    assert r.status_code == 404 and msgpack.unpackb(r.content) == {
        "detail": {"code": "NOT_FOUND", "message": "Event not found"}}
    r = alice.packed("GET", "/api/notifications")
    assert msgpack.unpackb(r.content) == {"total": 0, "items": []}


def test_rate_limit_per_user_with_the_documented_body(make_server):
    s = make_server("--user-per-minute", "3", "--auth-per-minute", "100")
    alice = collab_user(s, "alice")
    for remaining in (2, 1, 0):
        r = alice.get("/api/events")
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit"] == "3" and r.headers["X-RateLimit-Remaining"] == str(remaining)
        assert int(r.headers["X-RateLimit-Reset"]) > time.time() - 5
    r = alice.get("/api/events")
    assert r.status_code == 429
    d = detail(r)
    assert d["code"] == "RATE_LIMIT_EXCEEDED" and d["message"] == "Too many requests" and UTC_RE.match(d["reset_at"])
    assert int(r.headers["Retry-After"]) >= 1


# ---- version history ----------------------------------------------------------------------

def test_history_changelog_diff_and_rollback(server, users):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    e = event(alice)
    eid = e["id"]
    share(alice, eid, bob, "EDITOR")                                    # v2
    bob.put(f"/api/events/{eid}", {"title": "Planning", "location": None})  # v3
    alice.put(f"/api/events/{eid}", {"description": "Moved online"})  # v4

    r = alice.get(f"/api/events/{eid}/history")
    assert r.status_code == 200
    history = r.json()
    assert [(h["version"], h["changed_by"], h["action"]) for h in history] == [
        (1, alice.id, "created"), (2, alice.id, "shared"), (3, bob.id, "updated"), (4, alice.id, "updated")]
    assert history[2]["changed_fields"] == ["title", "location"]
    assert history[1]["changed_fields"] == ["permissions"]
    assert all(UTC_RE.match(h["changed_at"]) for h in history)

    r = bob.get(f"/api/events/{eid}/history/1")
    assert r.status_code == 200
    assert r.json()["event"]["title"] == "Team Meeting" and r.json()["event"]["location"] == "Conference Room"
    assert bob.get(f"/api/events/{eid}/history/9").status_code == 404

    changes = alice.get(f"/api/events/{eid}/changelog").json()
    assert changes[2]["changes"] == {"title": {"old": "Team Meeting", "new": "Planning"},
                                     "location": {"old": "Conference Room", "new": None}}
    assert changes[0]["changes"]["title"] == {"old": None, "new": "Team Meeting"}

    r = alice.get(f"/api/events/{eid}/diff/1/4")
    assert r.json() == {"changes": {
        "title": {"old": "Team Meeting", "new": "Planning"},
        "description": {"old": "Weekly sync", "new": "Moved online"},
        "location": {"old": "Conference Room", "new": None},
        "permissions": {"old": [{"user_id": alice.id, "role": "OWNER"}],
                        "new": [{"user_id": alice.id, "role": "OWNER"}, {"user_id": bob.id, "role": "EDITOR"}]}}}

    # Rolling back appends an update (v5) restoring version 1's fields; it notifies like one.
    share(alice, eid, carol, "VIEWER")  # v5
    r = bob.post(f"/api/events/{eid}/rollback/1")
    assert r.status_code == 200
    restored = r.json()
    assert {k: restored[k] for k in MEETING} == MEETING
    history = alice.get(f"/api/events/{eid}/history").json()
    assert len(history) == 6 and history[-1]["action"] == "updated" and history[-1]["changed_by"] == bob.id
    assert alice.get(f"/api/events/{eid}/diff/1/6").json()["changes"].keys() == {"permissions"}
    assert carol.get("/api/notifications").json()["items"][0]["type"] == "event.update"
