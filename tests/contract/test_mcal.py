"""The mcal contract (seeds/002) over real HTTP: every route with the document's
examples, every status code it lists, and the decisions of docs/contracts/mcal.md."""
import calendar
import concurrent.futures
import json
import random
import subprocess
from datetime import date, datetime, timedelta

import msgpack
import pytest
import requests
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

import clients

TIMEOUT = 30


@pytest.fixture
def anon(make_server):
    """A server that serves the mcal routes without a token, as its local user."""
    return make_server("--anonymous-calendars")


class Client(clients.Client):
    """A clients.Client with mcal's calendars, events and expanded view."""

    def calendar(self, name, color=None):
        r = self.post("/calendars/", {"name": name, "color": color})
        assert r.status_code == 201, r.text
        return r.json()

    def event(self, calendar_id, **fields):
        body = {"title": "E", "description": None, "start_time": "2024-01-01T10:00:00",
                "end_time": "2024-01-01T11:00:00", "is_all_day": False,
                "repeat_frequency": "none", "repeat_until": None}
        body.update(fields)
        r = self.post(f"/calendars/{calendar_id}/events/", body)
        assert r.status_code == 201, r.text
        return r.json()

    def expanded(self, start, end, calendar_id=None, expect=200):
        params = {"start_date": start, "end_date": end}
        if calendar_id is not None:
            params["calendar_id"] = calendar_id
        r = self.get("/events/expanded/", params=params)
        assert r.status_code == expect, r.text
        return r.json()


def doctor(**over):
    body = {"title": "Doctor Appointment", "description": "Annual check-up",
            "start_time": "2023-11-20T14:00:00", "end_time": "2023-11-20T15:00:00",
            "is_all_day": False, "repeat_frequency": "none", "repeat_until": None}
    body.update(over)
    return body


def team_meeting(**over):
    body = {"title": "Team Meeting", "description": "Weekly team sync",
            "start_time": "2023-11-15T10:00:00", "end_time": "2023-11-15T11:00:00",
            "is_all_day": False, "repeat_frequency": "weekly", "repeat_until": "2024-06-30"}
    body.update(over)
    return body


# ---- the document's examples -------------------------------------------------------------

def test_document_examples_field_by_field(anon):
    c = Client(anon)
    r = c.post("/calendars/", {"name": "Work Calendar", "color": "#FF5733"})
    assert r.status_code == 201
    assert r.json() == {"id": 1, "name": "Work Calendar", "color": "#FF5733"}
    r = c.post("/calendars/", {"name": "Holidays", "color": "green"})
    assert r.status_code == 201
    assert r.json() == {"id": 2, "name": "Holidays", "color": "green"}

    r = c.post("/calendars/", {"name": "Holidays", "color": "green"})
    assert r.status_code == 400
    assert r.json() == {"detail": "Calendar with name 'Holidays' already exists."}

    r = c.get("/calendars/")
    assert r.status_code == 200
    assert r.json() == [{"id": 1, "name": "Work Calendar", "color": "#FF5733"},
                        {"id": 2, "name": "Holidays", "color": "green"}]
    r = c.get("/calendars/1/")
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "Work Calendar", "color": "#FF5733"}

    r = c.post("/calendars/1/events/", team_meeting())
    assert r.status_code == 201
    meeting = r.json()
    meeting_id = meeting["id"]
    assert meeting == {"id": meeting_id, "calendar_id": 1, "title": "Team Meeting",
                       "description": "Weekly team sync", "start_time": "2023-11-15T10:00:00",
                       "end_time": "2023-11-15T11:00:00", "is_all_day": False,
                       "repeat_frequency": "weekly", "repeat_until": "2024-06-30"}
    r = c.post("/calendars/1/events/", doctor())
    assert r.status_code == 201
    doc_id = r.json()["id"]
    assert doc_id > meeting_id
    assert r.json() == {"id": doc_id, "calendar_id": 1, **doctor()}

    r = c.get(f"/events/{meeting_id}/")
    assert r.status_code == 200
    assert r.json() == meeting

    occ = c.expanded("2023-11-15", "2023-11-22")
    assert occ == [
        {"original_event_id": meeting_id, "calendar_id": 1, "title": "Team Meeting",
         "description": "Weekly team sync", "start_time": "2023-11-15T10:00:00",
         "end_time": "2023-11-15T11:00:00", "is_all_day": False, "color": "#FF5733"},
        {"original_event_id": doc_id, "calendar_id": 1, "title": "Doctor Appointment",
         "description": "Annual check-up", "start_time": "2023-11-20T14:00:00",
         "end_time": "2023-11-20T15:00:00", "is_all_day": False, "color": "#FF5733"},
        {"original_event_id": meeting_id, "calendar_id": 1, "title": "Team Meeting",
         "description": "Weekly team sync", "start_time": "2023-11-22T10:00:00",
         "end_time": "2023-11-22T11:00:00", "is_all_day": False, "color": "#FF5733"},
    ]

    rescheduled = {"title": "Team Meeting (Rescheduled)", "description": "Weekly team sync - new time",
                   "start_time": "2023-11-15T11:00:00", "end_time": "2023-11-15T12:00:00",
                   "is_all_day": False, "repeat_frequency": "weekly", "repeat_until": "2024-07-31"}
    r = c.put(f"/events/{meeting_id}/", rescheduled)
    assert r.status_code == 200
    assert r.json() == {"id": meeting_id, "calendar_id": 1, **rescheduled}
    assert c.get(f"/events/{meeting_id}/").json() == r.json()

    r = c.put("/calendars/1/", {"name": "Updated Work Calendar", "color": "#FFA500"})
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "Updated Work Calendar", "color": "#FFA500"}
    # the occurrences carry the calendar's colour as it is now
    assert {o["color"] for o in c.expanded("2023-11-15", "2023-11-22")} == {"#FFA500"}

    r = c.delete(f"/events/{doc_id}/")
    assert r.status_code == 204 and r.content == b""
    assert c.get(f"/events/{doc_id}/").json() == {"detail": "Event not found"}
    r = c.delete("/calendars/2/")
    assert r.status_code == 204 and r.content == b""
    assert c.get("/calendars/").json() == [{"id": 1, "name": "Updated Work Calendar", "color": "#FFA500"}]


def test_color_is_optional_and_put_replaces_it(anon):
    c = Client(anon)
    r = c.post("/calendars/", {"name": "Personal Calendar"})
    assert r.status_code == 201
    assert r.json() == {"id": 1, "name": "Personal Calendar", "color": None}
    r = c.put("/calendars/1/", {"name": "Personal Calendar", "color": "#33CFFF"})
    assert r.json()["color"] == "#33CFFF"
    r = c.put("/calendars/1/", {"name": "Personal"})
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "Personal", "color": None}


def test_event_defaults_when_optional_fields_are_absent(anon):
    c = Client(anon)
    c.calendar("Work")
    r = c.post("/calendars/1/events/", {"title": "Project Deadline", "start_time": "2023-12-01T09:00:00",
                                        "end_time": "2023-12-01T17:00:00"})
    assert r.status_code == 201
    assert r.json() == {"id": r.json()["id"], "calendar_id": 1, "title": "Project Deadline",
                        "description": None, "start_time": "2023-12-01T09:00:00",
                        "end_time": "2023-12-01T17:00:00", "is_all_day": False,
                        "repeat_frequency": "none", "repeat_until": None}


# ---- 404 and 422 ------------------------------------------------------------------------------

def test_unknown_ids_are_404_with_the_documented_detail(anon):
    c = Client(anon)
    cal = {"detail": "Calendar not found"}
    ev = {"detail": "Event not found"}
    assert (c.get("/calendars/9/").status_code, c.get("/calendars/9/").json()) == (404, cal)
    r = c.put("/calendars/9/", {"name": "x"})
    assert (r.status_code, r.json()) == (404, cal)
    r = c.delete("/calendars/9/")
    assert (r.status_code, r.json()) == (404, cal)
    r = c.post("/calendars/9/events/", doctor())
    assert (r.status_code, r.json()) == (404, cal)
    r = c.get("/events/9/")
    assert (r.status_code, r.json()) == (404, ev)
    r = c.put("/events/9/", doctor())
    assert (r.status_code, r.json()) == (404, ev)
    r = c.delete("/events/9/")
    assert (r.status_code, r.json()) == (404, ev)
    # an id beyond 64 bits names nothing either
    r = c.get("/events/99999999999999999999999/")
    assert (r.status_code, r.json()) == (404, ev)


@pytest.mark.parametrize("bad,kind", [("0", "greater_than"), ("-1", "greater_than"), ("abc", "int_parsing"),
                                      ("1.5", "int_parsing")])
def test_ids_must_be_integers_above_zero(anon, bad, kind):
    c = Client(anon)
    c.calendar("Work")
    calls = [("GET", f"/calendars/{bad}/", None, "calendar_id"),
             ("PUT", f"/calendars/{bad}/", {"name": "x"}, "calendar_id"),
             ("DELETE", f"/calendars/{bad}/", None, "calendar_id"),
             ("POST", f"/calendars/{bad}/events/", doctor(), "calendar_id"),
             ("GET", f"/events/{bad}/", None, "event_id"),
             ("PUT", f"/events/{bad}/", doctor(), "event_id"),
             ("DELETE", f"/events/{bad}/", None, "event_id")]
    for method, path, body, name in calls:
        r = c.req(method, path, body)
        assert r.status_code == 422, (method, path, r.text)
        detail = r.json()["detail"]
        assert detail[0]["loc"] == ["path", name]
        assert detail[0]["type"] == kind
        assert isinstance(detail[0]["msg"], str) and detail[0]["msg"]
    assert c.get("/calendars/").json() == [{"id": 1, "name": "Work", "color": None}]


def test_invalid_bodies_are_422_in_fastapi_shape_and_change_nothing(anon):
    c = Client(anon)
    r = c.post("/calendars/", {"color": "red"})
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]}
    r = c.post("/calendars/", {"name": 5})
    assert r.json()["detail"][0]["loc"] == ["body", "name"]
    assert r.json()["detail"][0]["type"] == "string_type"
    r = c.post("/calendars/", {"name": "   "})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    r = c.req("POST", "/calendars/", None, data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = c.req("POST", "/calendars/", None)
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body"], "msg": "Field required", "type": "missing"}]}
    r = c.post("/calendars/", ["Work"])
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "model_attributes_type"
    assert c.get("/calendars/").json() == []

    c.calendar("Work")
    r = c.post("/calendars/1/events/", {})
    assert r.status_code == 422
    assert {tuple(d["loc"]) for d in r.json()["detail"]} == {
        ("body", "title"), ("body", "start_time"), ("body", "end_time")}
    assert all(d["type"] == "missing" for d in r.json()["detail"])
    cases = [
        (doctor(repeat_frequency="fortnightly"), "repeat_frequency", "enum"),
        (doctor(start_time="2023-13-20T14:00:00"), "start_time", "datetime_parsing"),
        (doctor(end_time="tomorrow"), "end_time", "datetime_parsing"),
        (doctor(is_all_day="maybe"), "is_all_day", "bool_type"),
        (doctor(repeat_until="2024/06/30"), "repeat_until", "date_parsing"),
        (doctor(title=None), "title", "string_type"),
        (doctor(end_time="2023-11-20T13:00:00"), "end_time", "value_error"),   # before start
        (doctor(end_time="2023-11-20T14:00:00"), "end_time", "value_error"),   # equal to start
        (doctor(repeat_frequency="daily", repeat_until="2023-11-19"), "repeat_until", "value_error"),
        (doctor(end_time="2023-11-20T15:00:00+01:00"), "end_time", "value_error"),  # naive and offset mixed
    ]
    for body, field, kind in cases:
        r = c.post("/calendars/1/events/", body)
        assert r.status_code == 422, (field, r.text)
        d = r.json()["detail"]
        assert d[0]["loc"] == ["body", field], (field, d)
        assert d[0]["type"] == kind, (field, d)
    # the same checks guard PUT
    ev = c.event(1)
    for body, field, kind in cases:
        r = c.put(f"/events/{ev['id']}/", body)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", field]
    assert c.get(f"/events/{ev['id']}/").json() == ev
    # path and body problems are reported together
    r = c.post("/calendars/abc/events/", {"title": "x"})
    locs = [d["loc"] for d in r.json()["detail"]]
    assert ["path", "calendar_id"] in locs and ["body", "start_time"] in locs
    assert c.expanded("2000-01-01", "2000-12-31") == []


def test_repeat_until_on_the_start_date_is_accepted(anon):
    c = Client(anon)
    c.calendar("Work")
    ev = c.event(1, repeat_frequency="daily", start_time="2024-05-01T23:00:00",
                 end_time="2024-05-02T01:00:00", repeat_until="2024-05-01")
    assert ev["repeat_until"] == "2024-05-01"
    occ = c.expanded("2024-04-30", "2024-05-10")
    assert [o["start_time"] for o in occ] == ["2024-05-01T23:00:00"]


# ---- names, cascade, put keeps the calendar ---------------------------------------------

def test_calendar_names_are_unique_per_owner_also_on_rename(anon):
    c = Client(anon)
    c.calendar("Work")
    c.calendar("Home")
    r = c.put("/calendars/2/", {"name": "Work", "color": None})
    assert r.status_code == 400
    assert r.json() == {"detail": "Calendar with name 'Work' already exists."}
    assert c.get("/calendars/2/").json()["name"] == "Home"
    # keeping its own name is no conflict
    r = c.put("/calendars/1/", {"name": "Work", "color": "blue"})
    assert r.status_code == 200 and r.json()["color"] == "blue"
    # a freed name can be taken again
    assert c.delete("/calendars/1/").status_code == 204
    assert c.put("/calendars/2/", {"name": "Work"}).status_code == 200


def test_deleting_a_calendar_deletes_its_events_in_one_append(anon, almanac):
    c = Client(anon)
    c.calendar("Work")
    c.calendar("Home")
    ids = [c.event(1, title=f"w{i}", repeat_frequency="daily")["id"] for i in range(3)]
    keep = c.event(2, title="home")["id"]
    r = c.delete("/calendars/1/", headers={"X-Request-ID": "cascade-test-1"})
    assert r.status_code == 204
    for i in ids:
        assert c.get(f"/events/{i}/").status_code == 404
    assert c.get("/calendars/1/").status_code == 404
    assert [o["original_event_id"] for o in c.expanded("2024-01-01", "2024-01-03")] == [keep]
    assert c.expanded("2024-01-01", "2024-01-03", calendar_id=1) == []
    code, _ = anon.stop()
    assert code == 0
    out = subprocess.run([almanac, "log", "--data", anon.data_dir, "--json"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    mine = [e for e in entries if e.get("correlation_id") == "cascade-test-1"]
    assert [e["payload_type"] for e in mine] == ["CalendarDeleted"] + ["EventDeleted"] * 3
    assert sorted(e["stream_id"] for e in mine[1:]) == sorted(ids)
    positions = [e["position"] for e in mine]
    assert positions == list(range(positions[0], positions[0] + 4))   # consecutive
    assert len({e["recorded_at"] for e in mine}) == 1                  # one transaction


def test_put_event_keeps_its_calendar(anon):
    c = Client(anon)
    c.calendar("Work")
    c.calendar("Home")
    ev = c.event(2)
    r = c.put(f"/events/{ev['id']}/", doctor(calendar_id=1))
    assert r.status_code == 200
    assert r.json()["calendar_id"] == 2
    assert r.json()["title"] == "Doctor Appointment"
    # fields left out are replaced by their defaults (PUT replaces)
    r = c.put(f"/events/{ev['id']}/", {"title": "Short", "start_time": "2024-02-01T08:00:00",
                                       "end_time": "2024-02-01T09:00:00"})
    assert r.json() == {"id": ev["id"], "calendar_id": 2, "title": "Short", "description": None,
                        "start_time": "2024-02-01T08:00:00", "end_time": "2024-02-01T09:00:00",
                        "is_all_day": False, "repeat_frequency": "none", "repeat_until": None}


# ---- times --------------------------------------------------------------------------------

def test_all_day_events_cover_their_whole_days(anon):
    c = Client(anon)
    c.calendar("Holidays", "green")
    ev = c.event(1, title="Trip", is_all_day=True, start_time="2024-03-10T15:30:00",
                 end_time="2024-03-11T09:00:00")
    assert ev["start_time"] == "2024-03-10T00:00:00"
    assert ev["end_time"] == "2024-03-11T23:59:59.999999"
    assert ev["is_all_day"] is True
    occ = c.expanded("2024-03-11", "2024-03-11")
    assert occ == [{"original_event_id": ev["id"], "calendar_id": 1, "title": "Trip", "description": None,
                    "start_time": "2024-03-10T00:00:00", "end_time": "2024-03-11T23:59:59.999999",
                    "is_all_day": True, "color": "green"}]
    assert c.expanded("2024-03-12", "2024-03-12") == []
    # a date-only all-day event on one day
    one = c.event(1, title="Day", is_all_day=True, start_time="2024-04-01", end_time="2024-04-01")
    assert (one["start_time"], one["end_time"]) == ("2024-04-01T00:00:00", "2024-04-01T23:59:59.999999")
    # PUT normalises the same way
    r = c.put(f"/events/{one['id']}/", {"title": "Day", "start_time": "2024-04-02T13:00:00",
                                       "end_time": "2024-04-02T14:00:00", "is_all_day": True})
    assert (r.json()["start_time"], r.json()["end_time"]) == ("2024-04-02T00:00:00", "2024-04-02T23:59:59.999999")


def test_naive_times_round_trip_and_offsets_become_utc(anon):
    c = Client(anon)
    c.calendar("Work")
    ev = c.event(1, start_time="2024-07-01T09:15:30.250000", end_time="2024-07-01T10:00:00")
    assert (ev["start_time"], ev["end_time"]) == ("2024-07-01T09:15:30.250000", "2024-07-01T10:00:00")
    ev = c.event(1, start_time="2024-07-01T10:00:00+02:00", end_time="2024-07-01T11:00:00+02:00")
    assert (ev["start_time"], ev["end_time"]) == ("2024-07-01T08:00:00", "2024-07-01T09:00:00")
    ev = c.event(1, start_time="2024-07-01T10:00:00Z", end_time="2024-07-01T11:00:00Z")
    assert (ev["start_time"], ev["end_time"]) == ("2024-07-01T10:00:00", "2024-07-01T11:00:00")


# ---- expansion through HTTP -----------------------------------------------------------------

def starts(occ, event_id=None):
    return [o["start_time"] for o in occ if event_id is None or o["original_event_id"] == event_id]


def test_monthly_series_keeps_its_day_clamped_to_short_months(anon):
    c = Client(anon)
    c.calendar("Work")
    ev = c.event(1, title="Rent", start_time="2024-01-31T09:00:00", end_time="2024-01-31T10:00:00",
                 repeat_frequency="monthly")
    occ = c.expanded("2024-01-01", "2024-05-31")
    assert starts(occ) == ["2024-01-31T09:00:00", "2024-02-29T09:00:00", "2024-03-31T09:00:00",
                           "2024-04-30T09:00:00", "2024-05-31T09:00:00"]
    assert all(o["end_time"][11:] == "10:00:00" for o in occ)
    assert {o["original_event_id"] for o in occ} == {ev["id"]}


def test_yearly_feb_29_falls_on_feb_28_in_common_years(anon):
    c = Client(anon)
    c.calendar("Birthdays")
    c.event(1, title="Leap", start_time="2024-02-29T12:00:00", end_time="2024-02-29T13:00:00",
            repeat_frequency="yearly")
    assert starts(c.expanded("2025-01-01", "2025-12-31")) == ["2025-02-28T12:00:00"]
    assert starts(c.expanded("2027-01-01", "2027-12-31")) == ["2027-02-28T12:00:00"]
    assert starts(c.expanded("2028-01-01", "2028-12-31")) == ["2028-02-29T12:00:00"]


def test_repeat_until_is_inclusive_by_date(anon):
    c = Client(anon)
    c.calendar("Work")
    c.event(1, start_time="2024-01-01T22:00:00", end_time="2024-01-01T23:00:00",
            repeat_frequency="daily", repeat_until="2024-01-05")
    assert starts(c.expanded("2024-01-01", "2024-01-31")) == [
        f"2024-01-0{d}T22:00:00" for d in range(1, 6)]
    c.event(1, title="w", start_time="2024-02-01T08:00:00", end_time="2024-02-01T09:00:00",
            repeat_frequency="weekly", repeat_until="2024-02-15")
    assert starts(c.expanded("2024-02-01", "2024-02-29")) == [
        "2024-02-01T08:00:00", "2024-02-08T08:00:00", "2024-02-15T08:00:00"]


def test_multi_day_occurrence_that_began_before_the_range_is_included(anon):
    c = Client(anon)
    c.calendar("Work")
    single = c.event(1, title="Conference", start_time="2024-01-30T09:00:00", end_time="2024-02-02T17:00:00")
    series = c.event(1, title="Weekend", start_time="2023-12-30T18:00:00", end_time="2024-01-01T12:00:00",
                     repeat_frequency="weekly")
    occ = c.expanded("2024-02-01", "2024-02-01")
    assert [(o["original_event_id"], o["start_time"]) for o in occ] == [(single["id"], "2024-01-30T09:00:00")]
    occ = c.expanded("2024-01-08", "2024-01-08")
    assert [(o["original_event_id"], o["start_time"], o["end_time"]) for o in occ] == [
        (series["id"], "2024-01-06T18:00:00", "2024-01-08T12:00:00")]
    # an event ending exactly at the range start does not overlap it
    c.calendar("Other")
    c.event(2, title="Late", start_time="2024-03-01T22:00:00", end_time="2024-03-02T00:00:00")
    assert c.expanded("2024-03-02", "2024-03-02", calendar_id=2) == []
    assert len(c.expanded("2024-03-01", "2024-03-01", calendar_id=2)) == 1


def test_sorted_by_start_then_event_id_and_calendar_filter(anon):
    c = Client(anon)
    c.calendar("A", "red")
    c.calendar("B", "blue")
    b1 = c.event(2, title="b1", start_time="2024-06-01T09:00:00", end_time="2024-06-01T10:00:00")
    a1 = c.event(1, title="a1", start_time="2024-06-01T09:00:00", end_time="2024-06-01T09:30:00")
    a0 = c.event(1, title="a0", start_time="2024-06-01T08:00:00", end_time="2024-06-01T08:30:00")
    occ = c.expanded("2024-06-01", "2024-06-01")
    assert [o["original_event_id"] for o in occ] == [a0["id"], b1["id"], a1["id"]]
    assert [o["color"] for o in occ] == ["red", "blue", "red"]
    occ = c.expanded("2024-06-01", "2024-06-01", calendar_id=1)
    assert [o["original_event_id"] for o in occ] == [a0["id"], a1["id"]]
    assert c.expanded("2024-06-01", "2024-06-01", calendar_id=77) == []
    r = c.get("/events/expanded/", params={"start_date": "2024-06-01", "end_date": "2024-06-01",
                                           "calendar_id": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "calendar_id"]


def test_range_errors(make_server):
    s = make_server("--anonymous-calendars", "--expand-max-days", "31")
    c = Client(s)
    r = c.get("/events/expanded/", params={"start_date": "2024-02-02", "end_date": "2024-02-01"})
    assert r.status_code == 400
    assert r.json() == {"detail": "start_date cannot be after end_date"}
    r = c.get("/events/expanded/")
    assert r.status_code == 422
    assert r.json() == {"detail": [
        {"loc": ["query", "start_date"], "msg": "Field required", "type": "missing"},
        {"loc": ["query", "end_date"], "msg": "Field required", "type": "missing"}]}
    for bad in ("2024-02-30", "2024-2-01", "yesterday", "2024-02-01T00:00:00"):
        r = c.get("/events/expanded/", params={"start_date": bad, "end_date": "2024-03-01"})
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"] == ["query", "start_date"]
        assert r.json()["detail"][0]["type"] == "date_parsing"
    assert c.expanded("2024-01-01", "2024-01-31") == []           # 31 days: the maximum
    r = c.get("/events/expanded/", params={"start_date": "2024-01-01", "end_date": "2024-02-01"})
    assert r.status_code == 400
    assert r.json() == {"detail": "Date range too long: at most 31 days from start_date to end_date inclusive"}


def test_default_range_maximum_is_366_days(anon):
    c = Client(anon)
    assert c.expanded("2024-01-01", "2024-12-31") == []             # 366 days (leap year)
    r = c.get("/events/expanded/", params={"start_date": "2023-01-01", "end_date": "2024-01-01"})
    assert r.status_code == 200                                      # 366 days
    r = c.get("/events/expanded/", params={"start_date": "2023-01-01", "end_date": "2024-01-02"})
    assert r.status_code == 400 and "366 days" in r.json()["detail"]


def test_occurrence_cap_truncates_to_the_earliest_and_says_so(anon):
    c = Client(anon)
    c.calendar("Busy")
    for i in range(28):
        c.event(1, title=f"d{i}", start_time=f"2024-01-01T{i % 24:02d}:00:00",
                end_time=f"2024-01-01T{i % 24:02d}:30:00", repeat_frequency="daily")
    r = c.get("/events/expanded/", params={"start_date": "2024-01-01", "end_date": "2024-12-31"})
    assert r.status_code == 200
    occ = r.json()
    assert len(occ) == 10000                      # 28 * 366 = 10248 exist
    assert r.headers["X-Occurrences-Truncated"] == "true"
    assert r.headers["X-Occurrences-Cap"] == "10000"
    keys = [(o["start_time"], o["original_event_id"]) for o in occ]
    assert keys == sorted(keys)
    assert occ[-1]["start_time"] < "2024-12-31"
    r = c.get("/events/expanded/", params={"start_date": "2024-01-01", "end_date": "2024-01-31"})
    assert len(r.json()) == 28 * 31 and "X-Occurrences-Truncated" not in r.headers


# ---- python-dateutil as an independent oracle ------------------------------------------------

FREQS = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY, "yearly": YEARLY}


def oracle(start, end, freq, until, ws, we):
    """(start, end) pairs of the series overlapping [ws, we), by dateutil."""
    dur = end - start
    if freq == "none":
        return [(start, end)] if start < we and end > ws else []
    kw = {}
    if freq in ("monthly", "yearly"):
        # the series' own day, clamped to the month's last day
        kw = {"bymonthday": (start.day, -1), "bysetpos": 1}
        if freq == "yearly":
            kw["bymonth"] = start.month
    until_dt = datetime.combine(until, datetime.max.time()) if until else None
    rule = rrule(FREQS[freq], dtstart=start, until=until_dt, **kw)
    out = []
    for s in rule.between(ws - dur - timedelta(seconds=1), we, inc=True):
        if s < we and s + dur > ws:
            out.append((s, s + dur))
    return out


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def test_expansion_matches_dateutil_on_random_series(anon):
    rng = random.Random(20240229)
    c = Client(anon)
    c.calendar("Oracle")
    series = {}
    for i in range(40):
        freq = rng.choice(["daily", "weekly", "yearly", "monthly", "monthly", "none"])
        if freq == "monthly":
            # month ends: the 28th to the 31st of a month that has that day
            year = rng.randint(2014, 2023)
            day = rng.choice([28, 29, 30, 31])
            month = rng.choice([m for m in range(1, 13) if calendar.monthrange(year, m)[1] >= day])
            start = datetime(year, month, day)
        elif freq == "yearly" and rng.random() < 0.4:
            start = datetime(rng.choice([2012, 2016, 2020]), 2, 29)
        else:
            start = datetime(2014, 1, 1) + timedelta(days=rng.randint(0, 3650))
        start = start.replace(hour=rng.randint(0, 23), minute=rng.choice([0, 15, 30, 45]))
        dur = timedelta(minutes=rng.choice([15, 60, 240, 1440, 3000]))
        until = None
        if freq != "none" and rng.random() < 0.5:
            until = (start + timedelta(days=rng.randint(0, 4000))).date()
        ev = c.event(1, title=f"s{i}", start_time=fmt(start), end_time=fmt(start + dur),
                     repeat_frequency=freq, repeat_until=until.isoformat() if until else None)
        series[ev["id"]] = (start, start + dur, freq, until)

    for _ in range(12):
        first = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
        last = first + timedelta(days=rng.choice([0, 6, 30, 90, 365]))
        occ = c.expanded(first.isoformat(), last.isoformat())
        ws = datetime.combine(first, datetime.min.time())
        we = datetime.combine(last + timedelta(days=1), datetime.min.time())
        expected = []
        for eid, (s, e, freq, until) in series.items():
            expected += [(fmt(a), eid, fmt(b)) for a, b in oracle(s, e, freq, until, ws, we)]
        expected.sort()
        got = [(o["start_time"], o["original_event_id"], o["end_time"]) for o in occ]
        assert got == expected, (first, last)


# ---- authentication -------------------------------------------------------------------------

ROUTES = [("GET", "/calendars/"), ("POST", "/calendars/"), ("GET", "/calendars/1/"),
          ("PUT", "/calendars/1/"), ("DELETE", "/calendars/1/"), ("POST", "/calendars/1/events/"),
          ("GET", "/events/1/"), ("PUT", "/events/1/"), ("DELETE", "/events/1/"),
          ("GET", "/events/expanded/?start_date=2024-01-01&end_date=2024-01-02")]


def test_every_route_needs_a_token_by_default(server):
    for method, path in ROUTES:
        r = requests.request(method, server.url(path), json={"name": "x"}, timeout=TIMEOUT)
        assert r.status_code == 401, (method, path)
        assert r.json() == {"detail": "Not authenticated"}
        assert r.headers["WWW-Authenticate"] == "Bearer"


PASSWORD = "Calendar-pass-2024"


def token_for(server, name):
    """Registers `name` through the identity routes and returns an access token."""
    clients.register(server, name, PASSWORD)
    return clients.login(server, name, PASSWORD)


def test_with_a_token_every_route_works(server):
    c = Client(server, token_for(server, "alice"))
    cal = c.calendar("Work Calendar", "#FF5733")
    assert cal == {"id": 1, "name": "Work Calendar", "color": "#FF5733"}
    ev = c.event(cal["id"], **team_meeting())
    assert c.get(f"/events/{ev['id']}/").json() == ev
    assert len(c.expanded("2023-11-15", "2023-11-22")) == 2
    assert c.put(f"/events/{ev['id']}/", doctor()).status_code == 200
    assert c.put("/calendars/1/", {"name": "Work"}).status_code == 200
    assert c.delete(f"/events/{ev['id']}/").status_code == 204
    assert c.delete("/calendars/1/").status_code == 204
    assert c.get("/calendars/").json() == []


def test_users_cannot_see_each_others_calendars(server):
    alice = Client(server, token_for(server, "alice"))
    bob = Client(server, token_for(server, "bob"))
    cal = alice.calendar("Work")
    ev = alice.event(cal["id"], title="private")
    # the same name is free for another owner
    assert bob.calendar("Work")["id"] != cal["id"]
    assert [x["name"] for x in bob.get("/calendars/").json()] == ["Work"]
    assert len(alice.get("/calendars/").json()) == 1
    for method, path, body in [("GET", f"/calendars/{cal['id']}/", None),
                               ("PUT", f"/calendars/{cal['id']}/", {"name": "mine"}),
                               ("DELETE", f"/calendars/{cal['id']}/", None),
                               ("POST", f"/calendars/{cal['id']}/events/", doctor())]:
        r = bob.req(method, path, body, headers={"If-Match": '"9"'} if method != "POST" else None)
        assert (r.status_code, r.json()) == (404, {"detail": "Calendar not found"}), (method, path)
    for method, path, body in [("GET", f"/events/{ev['id']}/", None),
                               ("PUT", f"/events/{ev['id']}/", doctor()),
                               ("DELETE", f"/events/{ev['id']}/", None)]:
        r = bob.req(method, path, body)
        assert (r.status_code, r.json()) == (404, {"detail": "Event not found"}), (method, path)
    assert bob.expanded("2024-01-01", "2024-01-01") == []
    assert bob.expanded("2024-01-01", "2024-01-01", calendar_id=cal["id"]) == []
    assert [o["title"] for o in alice.expanded("2024-01-01", "2024-01-01")] == ["private"]
    assert alice.get(f"/calendars/{cal['id']}/").json()["name"] == "Work"


def test_anonymous_server_still_honours_tokens(make_server):
    s = make_server("--anonymous-calendars")
    alice = Client(s, token_for(s, "alice"))
    alice.calendar("Alice's")
    local = Client(s)
    local.calendar("Local")
    assert [x["name"] for x in alice.get("/calendars/").json()] == ["Alice's"]
    assert [x["name"] for x in local.get("/calendars/").json()] == ["Local"]
    # nobody can log in as the local user
    r = requests.post(s.url("/users/login"), json={"username_or_email": "mcal-local", "password": ""},
                      timeout=TIMEOUT)
    assert r.status_code in (401, 422)


def test_a_person_named_mcal_local_is_never_the_local_user(make_server):
    s = make_server("--anonymous-calendars")
    person = Client(s, token_for(s, "mcal-local"))
    person.calendar("Secret")
    local = Client(s)
    assert local.get("/calendars/").json() == []
    local.calendar("Mine")
    assert [x["name"] for x in person.get("/calendars/").json()] == ["Secret"]


def test_anonymous_server_refuses_a_bad_token(anon):
    r = requests.get(anon.url("/calendars/"), headers={"Authorization": "Bearer nonsense"}, timeout=TIMEOUT)
    assert r.status_code == 401
    assert r.json()["detail"]


def test_local_user_is_one_account_and_survives_a_restart(make_server, tmp_path):
    data = tmp_path / "local"
    s = make_server("--anonymous-calendars", data_dir=data)
    c = Client(s)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: c.post("/calendars/", {"name": f"c{i}"}).status_code, range(8)))
    assert results == [201] * 8
    names = sorted(x["name"] for x in c.get("/calendars/").json())
    assert names == [f"c{i}" for i in range(8)]
    assert s.stop()[0] == 0
    s2 = make_server("--anonymous-calendars", data_dir=data)
    assert sorted(x["name"] for x in Client(s2).get("/calendars/").json()) == names
    assert s2.stop()[0] == 0
    # without the option the same data needs a token again
    s3 = make_server(data_dir=data)
    assert requests.get(s3.url("/calendars/"), timeout=TIMEOUT).status_code == 401


# ---- transport: trailing slash, MessagePack, ETag / If-Match ----------------------------------

def test_missing_trailing_slash_redirects(anon):
    r = requests.get(anon.url("/calendars"), allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 307 and r.headers["Location"] == "/calendars/"
    r = requests.get(anon.url("/events/expanded?start_date=2024-01-01&end_date=2024-01-01"),
                     allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 307
    assert r.headers["Location"] == "/events/expanded/?start_date=2024-01-01&end_date=2024-01-01"


def test_messagepack_both_ways(anon):
    h = {"Content-Type": "application/x-msgpack", "Accept": "application/x-msgpack"}
    r = requests.post(anon.url("/calendars/"), data=msgpack.packb({"name": "Packed", "color": "teal"}),
                      headers=h, timeout=TIMEOUT)
    assert r.status_code == 201
    assert r.headers["Content-Type"].startswith("application/x-msgpack")
    assert msgpack.unpackb(r.content) == {"id": 1, "name": "Packed", "color": "teal"}
    body = msgpack.packb(doctor())
    r = requests.post(anon.url("/calendars/1/events/"), data=body, headers=h, timeout=TIMEOUT)
    assert r.status_code == 201 and msgpack.unpackb(r.content)["title"] == "Doctor Appointment"
    r = requests.get(anon.url("/events/expanded/?start_date=2023-11-20&end_date=2023-11-20"),
                     headers={"Accept": "application/x-msgpack"}, timeout=TIMEOUT)
    assert msgpack.unpackb(r.content)[0]["color"] == "teal"
    r = requests.post(anon.url("/calendars/"), data=b"\xc1", headers=h, timeout=TIMEOUT)
    assert r.status_code == 422


def test_etag_and_if_match(anon):
    c = Client(anon)
    c.calendar("Work")
    r = c.get("/calendars/1/")
    assert r.headers["ETag"] == '"1"'
    r = c.put("/calendars/1/", {"name": "Work 2"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    r = c.put("/calendars/1/", {"name": "Work 3"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412 and isinstance(r.json()["detail"], str)
    assert c.get("/calendars/1/").json()["name"] == "Work 2"
    assert c.delete("/calendars/1/", headers={"If-Match": '"1"'}).status_code == 412
    assert c.put("/calendars/1/", {"name": "x"}, headers={"If-Match": "garbage"}).status_code == 412

    ev = c.event(1)
    r = c.get(f"/events/{ev['id']}/")
    tag = r.headers["ETag"]
    assert tag == '"1"'
    r = c.put(f"/events/{ev['id']}/", doctor(), headers={"If-Match": tag})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    assert c.put(f"/events/{ev['id']}/", doctor(title="y"), headers={"If-Match": tag}).status_code == 412
    assert c.delete(f"/events/{ev['id']}/", headers={"If-Match": tag}).status_code == 412
    assert c.delete(f"/events/{ev['id']}/", headers={"If-Match": '"2"'}).status_code == 204
    assert c.delete("/calendars/1/", headers={"If-Match": '"2"'}).status_code == 204


def test_expanded_json_escapes_text_like_every_other_answer(anon):
    c = Client(anon)
    c.calendar("Quotes", 'say "hi"')
    title = 'Caf\u00e9 "quoted" \\ back\tslash \U0001F4C5'
    ev = c.event(1, title=title, description="line\nbreak")
    occ = c.expanded("2024-01-01", "2024-01-01")
    assert occ == [{"original_event_id": ev["id"], "calendar_id": 1, "title": title,
                    "description": "line\nbreak", "start_time": "2024-01-01T10:00:00",
                    "end_time": "2024-01-01T11:00:00", "is_all_day": False, "color": 'say "hi"'}]
    assert c.get(f"/events/{ev['id']}/").json()["title"] == title
