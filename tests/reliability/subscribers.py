#!/usr/bin/python3
"""Thousands of WebSocket subscribers, all receiving while writes go on.

Opens --connections WebSocket connections, split over three endpoints:
- gather's event feed `/ws/events/` (2/5 of them);
- collab's `/api/notifications/ws` (2/5), for 20 users who each hold a role
  on one shared event;
- the native `/streams/live` (1/5), for a superuser.
It then makes --writes changes of each kind: gatherings created, and edits of
the shared collab event by its owner. Every connection must receive every
message meant for it, in log order, with none missing and none twice. The
script reports the p50/p99 from commit (the time the server stamps on the
message) to receipt, and the server's resident memory per connection. The
open-file limit is raised for this process only.

Prints a summary; exits 1 when a message is missing, doubled or out of order.
Usage: tests/reliability/subscribers.py [--almanac PATH] [--connections N] [--writes N]."""
import argparse
import asyncio
import datetime
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import websockets

from harness import Server

PASSWORD = "Subscribe-9"


def log_head(base):
    text = requests.get(f"{base}/metrics", timeout=30).text
    return int(re.search(r"^almanac_log_head_position (\d+)", text, re.M).group(1))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def stamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def subscribe(url, check, latencies, opened, sem):
    """Receives on one connection until check.done(); returns what check.judge() says."""
    async with sem:
        ws = await websockets.connect(url, open_timeout=60, close_timeout=5, ping_interval=None, max_queue=None)
    opened.append(1)
    got = []
    deadline = time.time() + 300
    try:
        while not check.done(got) and time.time() < deadline:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
            except asyncio.TimeoutError:
                continue  # what is done may change while nothing arrives
            latencies.append(max(0.0, time.time() - check.when(msg)))
            got.append(msg)
    finally:
        await ws.close()
    return check.judge(got)


class Feed:
    """gather's feed: every event_created, ids ascending."""

    def __init__(self, ids, n):
        self.ids, self.n = ids, n

    def done(self, got):
        return sum(m["type"] == "event_created" for m in got) >= self.n

    def when(self, msg):
        return stamp(msg["timestamp"])

    def judge(self, got):
        ids = [m["data"]["id"] for m in got if m["type"] == "event_created"]
        return None if ids == self.ids else f"feed got {len(ids)} of {len(self.ids)} (or out of order)"


class Notes:
    """collab notifications of one user: one event.update per edit."""

    def __init__(self, n):
        self.n = n

    def done(self, got):
        return len(got) >= self.n

    def when(self, msg):
        return stamp(msg["data"]["timestamp"])

    def judge(self, got):
        kinds = [m["data"]["type"] for m in got]
        return None if kinds == ["event.update"] * self.n else f"notifications: {len(got)} of {self.n}"


class Live:
    """/streams/live: positions contiguous up to the head."""

    def __init__(self, first):
        self.first, self.last = first, None  # the head once the writes are done

    def done(self, got):
        return self.last is not None and bool(got) and got[-1]["position"] >= self.last

    def when(self, msg):
        return stamp(msg["recorded_at"])

    def judge(self, got):
        positions = [m["position"] for m in got]
        return None if positions == list(range(self.first, self.last + 1)) else f"live: {len(positions)} positions, not {self.first}..{self.last}"


async def scenario(base, ws_base, pid, args, gather_tok, collab, owner, event_id, root):
    sem = asyncio.Semaphore(200)  # opening handshakes in flight at once
    latencies, opened = [], []
    n_feed = args.connections * 2 // 5
    n_notes = args.connections * 2 // 5
    n_live = args.connections - n_feed - n_notes
    rss_before = rss_kib(pid)
    head = log_head(base)

    # What each connection must receive, known before the writes: created ids are
    # consecutive only by luck, so the feed's are collected from the answers.
    feed_ids = []
    feed = Feed(feed_ids, args.writes)
    notes = Notes(args.writes)
    tasks = [asyncio.create_task(subscribe(f"{ws_base}/ws/events/?token={gather_tok}", feed, latencies, opened, sem))
             for _ in range(n_feed)]
    for i in range(n_notes):
        tok = collab[i % len(collab)]
        tasks.append(asyncio.create_task(subscribe(f"{ws_base}/api/notifications/ws?token={tok}", notes,
                                                   latencies, opened, sem)))
    live = Live(head + 1)
    tasks += [asyncio.create_task(subscribe(f"{ws_base}/streams/live?from={head}&token={root}", live,
                                            latencies, opened, sem)) for _ in range(n_live)]
    deadline = time.time() + 300
    while len(opened) < args.connections and time.time() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # the last handshakes settle on the server
    rss_open = rss_kib(pid)

    def write(i):
        r = requests.post(f"{base}/api/v1/events/", headers={"Authorization": f"Bearer {gather_tok}"}, timeout=60,
                          json={"title": f"fan-out {i}", "description": "", "date": "2031-06-01T12:00:00Z", "location": ""})
        r.raise_for_status()
        feed_ids.append(r.json()["id"])
        r = requests.put(f"{base}/api/events/{event_id}", headers={"Authorization": f"Bearer {owner}"}, timeout=60,
                         json={"title": f"edit {i}"})
        r.raise_for_status()

    started = time.time()
    for i in range(args.writes):
        await asyncio.to_thread(write, i)
        await asyncio.sleep(args.interval)
    live.last = log_head(base)
    results = await asyncio.gather(*tasks)
    elapsed = time.time() - started
    problems = [r for r in results if r]
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else None
    return {"connections": args.connections, "opened": len(opened),
            "by_endpoint": {"/ws/events/": n_feed, "/api/notifications/ws": n_notes, "/streams/live": n_live},
            "writes": 2 * args.writes, "log_events": live.last - head, "messages": len(latencies), "seconds": round(elapsed, 1),
            "commit_to_receipt_ms": {"p50": round(pct(0.5), 1), "p99": round(pct(0.99), 1)},
            "rss_mib": {"before": round(rss_before / 1024, 1), "all_open": round(rss_open / 1024, 1)},
            "rss_kib_per_connection": round((rss_open - rss_before) / max(1, len(opened)), 1),
            "connections_with_problems": len(problems), "first_problems": problems[:5]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--connections", type=int, default=5000, help="WebSocket connections in all (default 5000)")
    p.add_argument("--writes", type=int, default=20, help="changes of each kind (default 20)")
    p.add_argument("--interval", type=float, default=0.2, help="seconds between two writes (default 0.2)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.connections + 256:
        print(f"subscribers: the open-file limit ({hard}) is below {args.connections} connections", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="almanac-subscribers-")
    data = f"{work}/data"
    first = Server(args.almanac, data).start()
    s = requests.Session()
    s.post(f"{first.base}/users/register", json={"username": "root", "email": "root@example.com", "password": PASSWORD}).raise_for_status()
    first.stop()
    subprocess.run([args.almanac, "users", "promote", "root", "--data", data], check=True, capture_output=True)
    server = Server(args.almanac, data).start()
    base = server.base
    ws_base = base.replace("http://", "ws://")
    try:
        root = s.post(f"{base}/users/login", json={"username_or_email": "root", "password": PASSWORD}).json()["access_token"]
        r = s.post(f"{base}/api/v1/auth/register/", json={"username": "host", "email": "host@example.com", "password": PASSWORD,
                                                          "first_name": "H", "last_name": "O"})
        r.raise_for_status()
        gather_tok = r.json()["access"]

        def collab_user(name):
            r = s.post(f"{base}/api/auth/register", json={"email": f"{name}@example.com", "password": PASSWORD, "username": name})
            r.raise_for_status()
            uid = r.json()["id"]
            tok = s.post(f"{base}/api/auth/login", data={"username": name, "password": PASSWORD}).json()["access_token"]
            return uid, tok
        owner_id, owner = collab_user("owner")
        event_id = s.post(f"{base}/api/events", headers={"Authorization": f"Bearer {owner}"}, json={
            "title": "shared", "start_time": "2031-01-01T10:00:00Z", "end_time": "2031-01-01T11:00:00Z"}).json()["id"]
        readers = []
        for i in range(20):
            uid, tok = collab_user(f"reader{i}")
            s.post(f"{base}/api/events/{event_id}/share", headers={"Authorization": f"Bearer {owner}"},
                   json={"user_id": uid, "role": "VIEWER"}).raise_for_status()
            readers.append(tok)
        summary = asyncio.run(scenario(base, ws_base, server.proc.pid, args, gather_tok, readers, owner, event_id, root))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("subscribers: " + json.dumps(summary))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out)
    return 1 if summary["connections_with_problems"] or summary["opened"] != args.connections else 0


if __name__ == "__main__":
    sys.exit(main())
