"""The gather contract (seeds/004) over real HTTP and WebSocket: gatherings, participants,
tasks, polls with live tallies, the poll closer, the event feed, registration rules and
avatar uploads, in Django REST framework's shapes (docs/contracts/gather.md)."""
import asyncio
import concurrent.futures
import datetime
import json
import re
import subprocess
import time
import urllib.parse

import pytest
import requests
import websockets

from clients import Client

UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PASSWORD = "gather-Pass-42"


def gather_user(server, name, **extra):
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD,
            "first_name": name.capitalize(), "last_name": "Tester", **extra}
    r = requests.post(server.url("/api/v1/auth/register/"), json=body, timeout=30)
    assert r.status_code == 201, r.text
    c = Client(server, r.json()["access"])
    c.id = r.json()["user"]["id"]
    c.name = name
    return c


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def soon(seconds):
    return iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds))


def gathering(client, **over):
    body = {"title": "Picnic", "description": "In the park", "date": "2030-06-01T12:00:00Z",
            "location": "Central Park", "max_participants": 50, **over}
    r = client.post("/api/v1/events/", body)
    assert r.status_code == 201, r.text
    return r.json()


def assert_error(r, status, error):
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["error", "message", "details", "timestamp"]
    assert body["error"] == error and UTC_RE.match(body["timestamp"])
    return body


@pytest.fixture
def people(server):
    return {n: gather_user(server, n) for n in ("ann", "ben", "cat", "dan")}


# ---- registration -------------------------------------------------------------------

def test_registration_validates_as_django_does(server):
    def register(**body):
        base = {"username": "zoe", "email": "zoe@example.com", "password": PASSWORD}
        return requests.post(server.url("/api/v1/auth/register/"), json={**base, **body})

    for bad in ("user..user@domain.com", "user@domain", "@example.com", "zoe@", "zoe example@x.org"):
        body = assert_error(register(email=bad), 400, "validation_error")
        assert body["details"]["email"] == ["Enter a valid email address."], bad
    body = assert_error(register(password="1234567"), 400, "validation_error")
    assert body["details"]["password"] == ["This password is too short. It must contain at least 8 characters.",
                                           "This password is too common.", "This password is entirely numeric."]
    # Django compares by difflib's ratio (>= 0.7): "marguerite1" to "marguerite" is 0.95.
    body = assert_error(register(username="marguerite", email="m@example.com", password="marguerite1"), 400,
                        "validation_error")
    assert body["details"]["password"] == ["The password is too similar to the username."]
    body = assert_error(register(password="password"), 400, "validation_error")
    assert body["details"]["password"] == ["This password is too common."]
    body = assert_error(register(password="98765432109"), 400, "validation_error")
    assert body["details"]["password"] == ["This password is entirely numeric."]
    assert register().status_code == 201
    body = assert_error(register(email="other@example.com"), 409, "conflict")
    assert "username" in body["details"]


# ---- events -------------------------------------------------------------------------

def test_event_documents_examples_and_permissions(server, people):
    ann, ben, cat = people["ann"], people["ben"], people["cat"]
    r = ann.post("/api/v1/events/", {"title": "string", "description": "string", "date": "2030-01-01T12:00:00Z",
                                      "location": "string", "max_participants": 50})
    assert r.status_code == 201
    e = r.json()
    assert list(e) == ["id", "title", "description", "date", "location", "max_participants", "current_participants",
                       "status", "creator", "created_at", "updated_at"]
    assert e["current_participants"] == 1 and e["status"] == "upcoming" and e["date"] == "2030-01-01T12:00:00Z"
    assert e["creator"] == {"id": ann.id, "username": "ann", "first_name": "Ann", "last_name": "Tester"}

    r = ben.post(f"/api/v1/events/{e['id']}/join/")
    assert r.status_code == 200
    assert r.json() == {"message": "Successfully joined the event",
                        "event": {"id": e["id"], "title": "string", "current_participants": 2}}
    assert_error(ben.post(f"/api/v1/events/{e['id']}/join/"), 400, "validation_error")

    r = ben.get(f"/api/v1/events/{e['id']}/")
    assert r.status_code == 200
    d = r.json()
    assert [p["id"] for p in d["participants"]] == [ann.id, ben.id]
    assert d["tasks"] == [] and d["votes"] == []

    assert_error(ben.put(f"/api/v1/events/{e['id']}/", {"title": "mine", "date": "2030-01-01T12:00:00Z"}), 403,
                 "permission_denied")
    assert_error(ben.delete(f"/api/v1/events/{e['id']}/"), 403, "permission_denied")
    r = ann.put(f"/api/v1/events/{e['id']}/", {"title": "Renamed", "date": "2030-01-02T12:00:00Z"})
    assert r.status_code == 200
    assert list(r.json()) == ["id", "title", "description", "date", "location", "max_participants",
                              "current_participants", "status", "creator", "updated_at"]
    assert r.json()["title"] == "Renamed" and r.json()["location"] == "string"
    assert r.json()["creator"] == {"id": ann.id, "username": "ann"}

    assert_error(cat.post(f"/api/v1/events/{e['id']}/leave/"), 400, "validation_error")
    assert_error(ann.post(f"/api/v1/events/{e['id']}/leave/"), 403, "permission_denied")
    r = ben.post(f"/api/v1/events/{e['id']}/leave/")
    assert r.status_code == 200 and r.json()["event"]["current_participants"] == 1

    assert_error(ann.get("/api/v1/events/999/"), 404, "not_found")
    assert_error(requests.get(server.url("/api/v1/events/")), 401, "not_authenticated")
    body = assert_error(ann.post("/api/v1/events/", {"description": "x"}), 400, "validation_error")
    assert body["details"] == {"title": ["This field is required."], "date": ["This field is required."]}
    r = ann.delete(f"/api/v1/events/{e['id']}/")
    assert r.status_code == 204
    assert_error(ann.get(f"/api/v1/events/{e['id']}/"), 404, "not_found")


def test_events_of_other_contracts_are_not_gatherings(server, people):
    ann = people["ann"]
    mine = requests.post(server.url("/api/events"), headers=ann.headers,
                         json={"title": "Private", "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"})
    assert mine.status_code == 201
    assert ann.get("/api/v1/events/").json()["count"] == 0
    assert_error(ann.get(f"/api/v1/events/{mine.json()['id']}/"), 404, "not_found")


def test_list_filters_pages_and_links(server, people):
    ann, ben = people["ann"], people["ben"]
    for i in range(45):
        who = ann if i % 3 else ben
        gathering(who, title=f"{'Hike' if i % 2 else 'Picnic'} {i:02d}", date=f"2030-07-{1 + i % 28:02d}T10:00:00Z",
                  description="bring water" if i % 5 == 0 else "")
    r = ann.get("/api/v1/events/")
    body = r.json()
    assert body["count"] == 45 and len(body["results"]) == 20 and body["previous"] is None
    dates = [(e["date"], e["id"]) for e in body["results"]]
    assert dates == sorted(dates)
    # Follow next to the end; every event once.
    seen, url, pages = [], server.url("/api/v1/events/?page_size=10&search=i"), 0
    while url:
        assert url.startswith(f"http://{server.host_port}/api/v1/events/")
        r = requests.get(url, headers=ann.headers)
        assert r.status_code == 200
        seen += [e["id"] for e in r.json()["results"]]
        url, pages = r.json()["next"], pages + 1
        q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query) if url else {}
        if url:
            assert q["search"] == ["i"] and q["page_size"] == ["10"]
    assert pages == 5 and len(seen) == len(set(seen)) == 45  # "i" is in "Picnic" and "Hike"
    r = ann.get("/api/v1/events/", params={"page": 2, "page_size": 10})
    assert urllib.parse.urlparse(r.json()["previous"]).query == "page_size=10"
    assert_error(ann.get("/api/v1/events/", params={"page": 9}), 404, "not_found")
    assert ann.get("/api/v1/events/", params={"page_size": 1000}).json()["results"].__len__() == 45 or True
    assert len(ann.get("/api/v1/events/", params={"page_size": 1000}).json()["results"]) == 45
    assert ann.get("/api/v1/events/", params={"search": "HIKE"}).json()["count"] == 22
    assert ann.get("/api/v1/events/", params={"search": "WATER"}).json()["count"] == 9
    assert ann.get("/api/v1/events/", params={"creator": ben.id}).json()["count"] == 15
    r = ann.get("/api/v1/events/", params={"date_from": "2030-07-02", "date_to": "2030-07-03"})
    assert {e["date"][:10] for e in r.json()["results"]} == {"2030-07-02", "2030-07-03"}
    assert r.json()["count"] == 4
    assert ann.get("/api/v1/events/", params={"status": "upcoming"}).json()["count"] == 45
    assert ann.get("/api/v1/events/", params={"status": "completed"}).json()["count"] == 0
    assert_error(ann.get("/api/v1/events/", params={"status": "soon"}), 400, "validation_error")


def test_status_is_computed_from_the_clock(server, people):
    ann = people["ann"]
    now = datetime.datetime.now(datetime.timezone.utc)
    past = gathering(ann, date=iso(now - datetime.timedelta(days=2)))
    ongoing = gathering(ann, date=iso(now - datetime.timedelta(seconds=5)))
    future = gathering(ann, date=iso(now + datetime.timedelta(days=2)))
    statuses = {e["id"]: e["status"] for e in ann.get("/api/v1/events/").json()["results"]}
    expected_ongoing = "ongoing" if now.date() == (now - datetime.timedelta(seconds=5)).date() else "completed"
    assert statuses == {past["id"]: "completed", ongoing["id"]: expected_ongoing, future["id"]: "upcoming"}
    for status, ids in (("completed", {past["id"]}), ("upcoming", {future["id"]})):
        r = ann.get("/api/v1/events/", params={"status": status})
        assert {e["id"] for e in r.json()["results"]} >= ids


def test_fifty_concurrent_joins_never_exceed_the_limit(server, people):
    ann = people["ann"]
    e = gathering(ann, max_participants=10)
    joiners = [gather_user(server, f"j{i}") for i in range(50)]
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(lambda c: c.post(f"/api/v1/events/{e['id']}/join/").status_code, joiners))
    assert codes.count(200) == 9 and codes.count(400) == 41
    assert ann.get(f"/api/v1/events/{e['id']}/").json()["current_participants"] == 10


# ---- tasks --------------------------------------------------------------------------

def test_tasks(server, people):
    ann, ben, cat, dan = people["ann"], people["ben"], people["cat"], people["dan"]
    e = gathering(ann)
    ben.post(f"/api/v1/events/{e['id']}/join/")
    cat.post(f"/api/v1/events/{e['id']}/join/")
    r = ben.post("/api/v1/tasks/", {"title": "Bring food", "description": "sandwiches", "event": e["id"],
                                     "priority": "high", "due_date": "2030-05-31T18:00:00Z", "assignee": cat.id})
    assert r.status_code == 201
    t = r.json()
    assert list(t) == ["id", "title", "description", "status", "priority", "due_date", "event", "assignee", "creator",
                       "created_at"]
    assert t["status"] == "pending" and t["priority"] == "high"
    assert t["event"] == {"id": e["id"], "title": "Picnic"} and t["assignee"] == {"id": cat.id, "username": "cat"}

    # Only participants, and only participants as assignees; unknown values are 400 with details.
    assert_error(dan.post("/api/v1/tasks/", {"title": "x", "event": e["id"]}), 403, "permission_denied")
    body = assert_error(ben.post("/api/v1/tasks/", {"title": "x", "event": e["id"], "assignee": dan.id}), 400,
                        "validation_error")
    assert "assignee_id" in body["details"] or "assignee" in body["details"]
    body = assert_error(ben.post("/api/v1/tasks/", {"title": "x", "event": e["id"], "priority": "urgent"}), 400,
                        "validation_error")
    assert body["details"] == {"priority": ["\"urgent\" is not a valid choice."]}

    r = cat.get(f"/api/v1/tasks/{t['id']}/")
    assert r.status_code == 200
    assert r.json()["assignee"] == {"id": cat.id, "username": "cat", "first_name": "Cat", "last_name": "Tester",
                                    "email": "cat@example.com"}
    assert r.json()["event"]["date"] == "2030-06-01T12:00:00Z"
    assert_error(dan.get(f"/api/v1/tasks/{t['id']}/"), 404, "not_found")

    r = cat.put(f"/api/v1/tasks/{t['id']}/", {"status": "in_progress"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert list(r.json()) == ["id", "title", "description", "status", "priority", "due_date", "event", "assignee",
                              "updated_at"]
    assert_error(ann.put(f"/api/v1/tasks/{t['id']}/", {"status": "completed"}), 403, "permission_denied")
    assert_error(cat.put(f"/api/v1/tasks/{t['id']}/", {"status": "done"}), 400, "validation_error")

    assert_error(cat.post(f"/api/v1/tasks/{t['id']}/assign/", {"assignee": ben.id}), 403, "permission_denied")
    r = ann.post(f"/api/v1/tasks/{t['id']}/assign/", {"assignee": ben.id})
    assert r.status_code == 200
    assert r.json() == {"message": "Task assigned successfully",
                        "task": {"id": t["id"], "title": "Bring food", "assignee": {"id": ben.id, "username": "ben"}}}
    r = ben.post(f"/api/v1/tasks/{t['id']}/complete/")
    assert r.status_code == 200
    assert r.json()["message"] == "Task marked as completed" and r.json()["task"]["status"] == "completed"
    assert UTC_RE.match(r.json()["task"]["completed_at"])

    ann.post("/api/v1/tasks/", {"title": "Second", "event": e["id"], "due_date": "2030-06-02T09:00:00Z"})
    other = gathering(dan)
    dan.post("/api/v1/tasks/", {"title": "Not yours", "event": other["id"]})
    assert [x["title"] for x in ben.get("/api/v1/tasks/").json()["results"]] == ["Bring food", "Second"]
    assert dan.get("/api/v1/tasks/").json()["count"] == 1
    assert ben.get("/api/v1/tasks/", params={"status": "completed"}).json()["count"] == 1
    assert ben.get("/api/v1/tasks/", params={"assignee": ben.id}).json()["count"] == 1
    assert ben.get("/api/v1/tasks/", params={"due_date_from": "2030-06-02"}).json()["count"] == 1
    assert ben.get("/api/v1/tasks/", params={"due_date_to": "2030-06-01"}).json()["count"] == 1
    assert ben.get("/api/v1/tasks/", params={"event": other["id"]}).json()["count"] == 0
    # Deleting the gathering takes its tasks with it.
    ann.delete(f"/api/v1/events/{e['id']}/")
    assert ben.get("/api/v1/tasks/").json()["count"] == 0
    assert_error(ben.get(f"/api/v1/tasks/{t['id']}/"), 404, "not_found")


# ---- polls --------------------------------------------------------------------------

def test_polls_tallies_and_results(server, people):
    ann, ben, cat, dan = people["ann"], people["ben"], people["cat"], people["dan"]
    e = gathering(ann)
    for c in (ben, cat):
        c.post(f"/api/v1/events/{e['id']}/join/")
    r = ann.post("/api/v1/voting/", {"title": "Where?", "description": "pick one", "event": e["id"],
                                      "options": [{"text": "Park"}, {"text": "Beach"}, {"text": "Hills"}],
                                      "ends_at": "2030-05-30T12:00:00Z", "multiple_choice": False})
    assert r.status_code == 201
    p = r.json()
    assert list(p) == ["id", "title", "description", "status", "event", "creator", "options", "total_votes", "ends_at",
                       "multiple_choice", "created_at"]
    assert [o["vote_count"] for o in p["options"]] == [0, 0, 0] and p["status"] == "active"
    park, beach = p["options"][0]["id"], p["options"][1]["id"]

    assert_error(ann.post("/api/v1/voting/", {"title": "x", "event": e["id"], "options": [{"text": "one"}]}), 400,
                 "validation_error")
    assert_error(ann.post("/api/v1/voting/", {"title": "x", "event": e["id"],
                                               "options": [{"text": str(i)} for i in range(21)]}), 400,
                 "validation_error")
    assert_error(ann.post("/api/v1/voting/", {"title": "x", "event": e["id"], "options": [{"text": "a"}, {"text": "b"}],
                                               "ends_at": "2020-01-01T00:00:00Z"}), 400, "validation_error")
    assert_error(dan.post("/api/v1/voting/", {"title": "x", "event": e["id"], "options": [{"text": "a"}, {"text": "b"}]}),
                 403, "permission_denied")

    r = ben.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [park]})
    assert r.status_code == 200
    vote = r.json()
    assert vote["message"] == "Vote cast successfully" and vote["vote"]["total_votes"] == 1
    assert vote["vote"]["user_vote"]["option_id"] == park and UTC_RE.match(vote["vote"]["user_vote"]["voted_at"])
    assert_error(ben.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [beach]}), 400, "validation_error")
    assert_error(cat.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [park, beach]}), 400, "validation_error")
    assert_error(cat.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [999]}), 400, "validation_error")
    assert_error(dan.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [park]}), 403, "permission_denied")
    cat.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [beach]})
    ann.post(f"/api/v1/voting/{p['id']}/vote/", {"options": [park]})

    r = cat.get(f"/api/v1/voting/{p['id']}/")
    d = r.json()
    assert d["user_voted"] is True and d["user_vote"]["option_id"] == beach
    assert [(o["vote_count"], o["percentage"]) for o in d["options"]] == [(2, 66.7), (1, 33.3), (0, 0.0)]
    assert dan.get(f"/api/v1/voting/{p['id']}/").json()["user_voted"] is False
    r = ann.get(f"/api/v1/voting/{p['id']}/results/")
    assert r.json() == {"id": p["id"], "title": "Where?", "status": "active", "total_votes": 3,
                        "results": [{"option_id": park, "text": "Park", "vote_count": 2, "percentage": 66.7},
                                    {"option_id": beach, "text": "Beach", "vote_count": 1, "percentage": 33.3},
                                    {"option_id": park + 2, "text": "Hills", "vote_count": 0, "percentage": 0.0}],
                        "ends_at": "2030-05-30T12:00:00Z", "winner": {"option_id": park, "text": "Park"}}
    assert ann.get("/api/v1/voting/", params={"event": e["id"]}).json()["count"] == 1
    assert ann.get("/api/v1/voting/", params={"status": "ended"}).json()["count"] == 0
    assert ann.get("/api/v1/voting/", params={"creator": ben.id}).json()["count"] == 0


def test_a_hundred_concurrent_ballots(server, people):
    ann = people["ann"]
    e = gathering(ann, max_participants=None)
    p = ann.post("/api/v1/voting/", {"title": "Snacks?", "event": e["id"],
                                      "options": [{"text": "yes"}, {"text": "no"}, {"text": "maybe"}]}).json()
    voters = [gather_user(server, f"v{i}") for i in range(100)]
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda c: c.post(f"/api/v1/events/{e['id']}/join/").status_code, voters))
    choices = [p["options"][i % 3]["id"] if i < 99 else p["options"][0]["id"] for i in range(100)]
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(lambda cv: cv[0].post(f"/api/v1/voting/{p['id']}/vote/", {"options": [cv[1]]}).status_code,
                              zip(voters, choices)))
    assert codes == [200] * 100
    r = ann.get(f"/api/v1/voting/{p['id']}/results/").json()
    assert r["total_votes"] == 100
    assert [(x["vote_count"], x["percentage"]) for x in r["results"]] == [(34, 34.0), (33, 33.0), (33, 33.0)]
    assert r["winner"]["text"] == "yes"


def test_the_server_closes_polls_when_their_time_is_up(make_server, almanac):
    s = make_server()
    ann = gather_user(s, "ann")
    e = gathering(ann)
    quick = ann.post("/api/v1/voting/", {"title": "Now?", "event": e["id"], "ends_at": soon(2),
                                          "options": [{"text": "a"}, {"text": "b"}]}).json()
    later = ann.post("/api/v1/voting/", {"title": "Later?", "event": e["id"], "ends_at": soon(5),
                                          "options": [{"text": "a"}, {"text": "b"}]}).json()
    deadline = time.time() + 15
    while time.time() < deadline and ann.get(f"/api/v1/voting/{quick['id']}/results/").json()["status"] != "ended":
        time.sleep(0.2)
    assert ann.get(f"/api/v1/voting/{quick['id']}/results/").json()["status"] == "ended"
    assert_error(ann.post(f"/api/v1/voting/{quick['id']}/vote/", {"options": [quick["options"][0]["id"]]}), 403,
                 "permission_denied")
    # Stopped before the second poll's time, started again after it: closed at start, once.
    s.stop()
    time.sleep(6)
    again = make_server(data_dir=s.data_dir)
    again.stop()
    log = subprocess.run([almanac, "log", "--json", "--data", s.data_dir], capture_output=True, text=True, timeout=60)
    entries = [json.loads(line) for line in log.stdout.splitlines() if line.strip()]
    closed = [e["stream_id"] for e in entries if e["payload_type"] == "PollClosed"]
    assert sorted(closed) == sorted([quick["id"], later["id"]])


# ---- the event feed -----------------------------------------------------------------

def test_the_feed_carries_every_change_in_log_order(server, people):
    ann, ben = people["ann"], people["ben"]

    async def scenario():
        async with websockets.connect(server.ws_url(f"/ws/events/?token={ben.token}")) as ws:
            async def step(fn, *args):
                r = await asyncio.to_thread(fn, *args)
                assert r.status_code in (200, 201), r.text
                return r.json()

            e = await step(ann.post, "/api/v1/events/", {"title": "Feed", "date": "2030-01-01T12:00:00Z"})
            await step(ann.put, f"/api/v1/events/{e['id']}/", {"title": "Feed 2", "date": "2030-01-01T12:00:00Z"})
            await step(ben.post, f"/api/v1/events/{e['id']}/join/")
            t = await step(ann.post, "/api/v1/tasks/", {"title": "T", "event": e["id"]})
            await step(ann.put, f"/api/v1/tasks/{t['id']}/", {"title": "T2"})
            await step(ann.post, f"/api/v1/tasks/{t['id']}/assign/", {"assignee": ben.id})
            await step(ben.post, f"/api/v1/tasks/{t['id']}/complete/")
            p = await step(ann.post, "/api/v1/voting/", {"title": "P", "event": e["id"], "ends_at": soon(3),
                                                          "options": [{"text": "a"}, {"text": "b"}]})
            await step(ben.post, f"/api/v1/voting/{p['id']}/vote/", {"options": [p["options"][0]["id"]]})
            await step(ben.post, f"/api/v1/events/{e['id']}/leave/")
            types = []
            while "vote_ended" not in types:
                m = json.loads(await asyncio.wait_for(ws.recv(), 15))
                assert list(m) == ["type", "data", "timestamp"] and UTC_RE.match(m["timestamp"])
                types.append(m["type"])
                if m["type"] == "vote_results":
                    assert m["data"]["total_votes"] == 1
            return types

    types = asyncio.run(scenario())
    assert types == ["event_created", "event_joined", "event_updated", "event_joined", "task_created", "task_updated",
                     "task_assigned", "task_completed", "vote_created", "vote_cast", "vote_results", "event_left",
                     "vote_ended"]


def test_the_feed_needs_a_token(server):
    async def closed_with(url):
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            return closed.value.rcvd.code

    assert asyncio.run(closed_with(server.ws_url("/ws/events/"))) == 1008
    assert asyncio.run(closed_with(server.ws_url("/ws/events/?token=nope"))) == 1008


# ---- avatars ------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def test_avatar_uploads_by_their_bytes(server, people):
    ann = people["ann"]
    for data, kind in ((PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")):
        r = requests.put(server.url("/api/v1/auth/profile/"), headers=ann.headers,
                         files={"avatar": ("photo.txt", data, "text/plain")}, data={"bio": "with a face"})
        assert r.status_code == 200, r.text
        url = r.json()["avatar"]
        assert url.startswith(f"http://{server.host_port}/media/avatars/") and r.json()["bio"] == "with a face"
        got = requests.get(url)
        assert got.status_code == 200 and got.content == data and got.headers["Content-Type"] == kind
        assert "max-age=31536000" in got.headers["Cache-Control"]
        again = requests.get(url, headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304
        assert ann.get("/api/v1/auth/profile/").json()["avatar"] == url
        assert UTC_RE.match(ann.get("/api/v1/auth/profile/").json()["last_login"] or "2000-01-01T00:00:00Z")

    before = ann.get("/api/v1/auth/profile/").json()["avatar"]
    body = assert_error(requests.put(server.url("/api/v1/auth/profile/"), headers=ann.headers,
                                     files={"avatar": ("photo.png", b"just some text, not an image", "image/png")}),
                        400, "validation_error")
    assert "avatar" in body["details"]
    big = PNG + b"\x00" * (3 << 20)
    body = assert_error(requests.put(server.url("/api/v1/auth/profile/"), headers=ann.headers,
                                     files={"avatar": ("big.png", big, "image/png")}), 400, "validation_error")
    assert "avatar" in body["details"]
    assert ann.get("/api/v1/auth/profile/").json()["avatar"] == before
    assert requests.get(server.url("/media/avatars/" + "0" * 64 + ".png")).status_code == 404
