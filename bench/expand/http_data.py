#!/usr/bin/python3
"""bench/expand (HTTP): the data and the python-dateutil baseline of http_bench.sh.

  load     --base URL --out FILE   creates 5 calendars and 1,000 series (fixed seed)
                                   through POST /calendars/{id}/events/ and writes
                                   them to FILE (JSON)
  baseline --series FILE --base URL --start D --end D [--seconds S]
                                   expands the same series for the same window with
                                   dateutil.rrule in this process, checks that the
                                   server returns exactly those occurrences, and
                                   prints "result dateutil_ms_per_query X" and
                                   "result occurrences N"

The series: 10% daily, 30% weekly, 40% monthly (a quarter of them on the 29th to
31st, clamped to short months), 20% yearly; half started up to 10 years before
the window, half within its last year; a third end on a repeat_until date.
"""
import argparse
import concurrent.futures
import json
import random
import time
from datetime import date, datetime, timedelta

import requests
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

FREQS = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY, "yearly": YEARLY}
SERIES = 1000
WINDOW_START = date(2024, 3, 1)


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def make_series(rng):
    out = []
    for i in range(SERIES):
        r = rng.random()
        freq = "daily" if r < 0.1 else "weekly" if r < 0.4 else "monthly" if r < 0.8 else "yearly"
        years_back = 10 if rng.random() < 0.5 else 1
        start = datetime.combine(WINDOW_START, datetime.min.time()) - timedelta(days=rng.randint(1, 365 * years_back))
        if freq == "monthly" and rng.random() < 0.25:
            day = rng.choice([29, 30, 31])
            month = rng.choice([1, 3, 5, 7, 8, 10, 12])
            start = datetime(start.year, month, day)
        start = start.replace(hour=rng.randint(6, 20), minute=rng.choice([0, 15, 30, 45]))
        duration = timedelta(minutes=rng.choice([30, 60, 90, 120]))
        until = None
        if rng.random() < 1 / 3:
            until = (start + timedelta(days=rng.randint(30, 365 * 12))).date().isoformat()
        out.append({"calendar": i % 5, "title": f"series {i}", "freq": freq,
                    "start": fmt(start), "end": fmt(start + duration), "until": until})
    return out


def load(args):
    rng = random.Random(1000)
    series = make_series(rng)
    s = requests.Session()
    cal_ids = []
    for i, color in enumerate(["#FF5733", "green", "#33CFFF", "#FFA500", "purple"]):
        r = s.post(f"{args.base}/calendars/", json={"name": f"Calendar {i}", "color": color}, timeout=30)
        r.raise_for_status()
        cal_ids.append(r.json()["id"])

    def post(x):
        body = {"title": x["title"], "description": "benchmark series", "start_time": x["start"],
                "end_time": x["end"], "is_all_day": False, "repeat_frequency": x["freq"],
                "repeat_until": x["until"]}
        r = requests.post(f"{args.base}/calendars/{cal_ids[x['calendar']]}/events/", json=body, timeout=60)
        r.raise_for_status()
        return r.json()["id"]

    # Concurrent posts share the server's group commits.
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(post, series))
    for x, eid in zip(series, ids):
        x["id"] = eid
    with open(args.out, "w") as f:
        json.dump(series, f)
    print(f"loaded {len(series)} series into {len(cal_ids)} calendars")


def rule_of(x):
    start = datetime.fromisoformat(x["start"])
    kw = {}
    if x["freq"] in ("monthly", "yearly"):
        # the series' own day of month, clamped to the month's last day
        kw = {"bymonthday": (start.day, -1), "bysetpos": 1}
        if x["freq"] == "yearly":
            kw["bymonth"] = start.month
    until = None
    if x["until"]:
        until = datetime.combine(date.fromisoformat(x["until"]), datetime.max.time())
    return rrule(FREQS[x["freq"]], dtstart=start, until=until, **kw)


def expand_all(series, ws, we):
    """Every occurrence overlapping [ws, we): what one expanded query computes."""
    out = []
    for x in series:
        start = datetime.fromisoformat(x["start"])
        dur = datetime.fromisoformat(x["end"]) - start
        for s in rule_of(x).between(ws - dur, we, inc=True):
            if s < we and s + dur > ws:
                out.append((fmt(s), x["id"]))
    out.sort()
    return out


def baseline(args):
    with open(args.series) as f:
        series = json.load(f)
    ws = datetime.combine(date.fromisoformat(args.start), datetime.min.time())
    we = datetime.combine(date.fromisoformat(args.end) + timedelta(days=1), datetime.min.time())

    expected = expand_all(series, ws, we)
    r = requests.get(f"{args.base}/events/expanded/", params={"start_date": args.start, "end_date": args.end},
                     timeout=60)
    r.raise_for_status()
    got = [(o["start_time"], o["original_event_id"]) for o in r.json()]
    if got != expected:
        raise SystemExit(f"MISMATCH: server returned {len(got)} occurrences, dateutil {len(expected)}")
    print(f"check: the server's {len(got)} occurrences equal dateutil's")

    # Rules are rebuilt per query, as a per-request expansion would.
    runs = 0
    t0 = time.perf_counter()
    while True:
        expand_all(series, ws, we)
        runs += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= args.seconds and runs >= 3:
            break
    ms = elapsed / runs * 1000
    print(f"dateutil: {ms:.1f} ms per one-month expansion of {len(series)} series ({runs} runs)")
    print(f"result dateutil_ms_per_query {ms:.6g}")
    print(f"result occurrences {len(expected)}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("load")
    a.add_argument("--base", required=True)
    a.add_argument("--out", required=True)
    b = sub.add_parser("baseline")
    b.add_argument("--series", required=True)
    b.add_argument("--base", required=True)
    b.add_argument("--start", required=True)
    b.add_argument("--end", required=True)
    b.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args()
    load(args) if args.cmd == "load" else baseline(args)


if __name__ == "__main__":
    main()
