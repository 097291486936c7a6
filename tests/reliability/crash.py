#!/usr/bin/python3
"""kill -9 under mixed write load, repeated: no acknowledged write may be lost.

Several connections drive mixed commands of every contract the server hosts
(registrations, collab events and their edits, gatherings and joins, mcal
events, flowstate events, admin profile edits) and record every answer the
server acknowledged. Each round the
server is killed with SIGKILL mid-load; `almanac verify` must pass on the data
directory, the server restarts on it, and every write acknowledged so far must
be there with the acknowledged content. An edit that was in flight at the kill
may or may not have landed: its value is accepted as well as the last
acknowledged one, nothing else is.

Prints a line per round and a summary; exits 1 when a write is lost or verify
fails. Usage: tests/reliability/crash.py [--almanac PATH] [--rounds N] ...
(--help lists the options). Runs on loopback only, on a fresh data directory
that is removed afterwards (unless --keep)."""
import argparse
import concurrent.futures
import datetime
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import requests

from harness import Server

TIMEOUT = 10
PASSWORD = "Crash-test-9"


class Ledger:
    """What the server acknowledged, and the edits still unanswered when it died."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = []                  # (username, password) that registered
        self.titled = {}                 # (kind, id) -> {"token", "acked", "pending": [...]}
        self.joined = []                 # (gathering id, user id, token)
        self.acked = 0
        self.by_kind = {}                # what was acknowledged, by kind of write

    def tally(self, kind):
        self.acked += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def count(self):
        with self.lock:
            return self.acked

    def created(self, kind, rid, token, title):
        with self.lock:
            self.titled[(kind, rid)] = {"token": token, "acked": title, "pending": []}
            self.tally(kind + " create")

    def track(self, kind, rid, token, value):
        """Something that exists already and will be edited (not itself a write)."""
        with self.lock:
            self.titled[(kind, rid)] = {"token": token, "acked": value, "pending": []}

    def editing(self, kind, rid, title):
        with self.lock:
            self.titled[(kind, rid)]["pending"].append(title)

    def edited(self, kind, rid, title):
        with self.lock:
            entry = self.titled[(kind, rid)]
            entry["acked"] = title
            # Edits sent before this one were answered or lost before it was sent.
            entry["pending"] = entry["pending"][entry["pending"].index(title) + 1:]
            self.tally(kind + " edit")

    def registered(self, name):
        with self.lock:
            self.users.append((name, PASSWORD))
            self.tally("registration")

    def joined_one(self, gid, uid, token):
        with self.lock:
            self.joined.append((gid, uid, token))
            self.tally("gather join")


def minute(n, seconds=0):
    """The n-th minute after 2031-01-01 (flowstate refuses overlapping events of one user)."""
    t = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=n, seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Worker:
    """One connection's identities and its loop of mixed commands."""

    def __init__(self, n, ledger):
        self.n, self.ledger, self.seq = n, ledger, 0
        self.http = requests.Session()
        self.collab_events, self.gatherings, self.joined = [], [], set()

    def name(self, what):
        self.seq += 1
        return f"{what}{self.n}x{self.seq}x{random.randrange(1 << 30)}"

    def setup(self, base):
        s = self.http
        u = self.name("co")
        r = s.post(f"{base}/api/auth/register", json={"email": f"{u}@example.com", "password": PASSWORD, "username": u}, timeout=TIMEOUT)
        r.raise_for_status()
        self.collab_id = r.json()["id"]
        r = s.post(f"{base}/api/auth/login", data={"username": u, "password": PASSWORD}, timeout=TIMEOUT)
        r.raise_for_status()
        self.collab = {"Authorization": "Bearer " + r.json()["access_token"]}
        self.collab_refresh = r.json()["refresh_token"]
        self.ledger.track("admin", self.collab_id, self.collab, None)  # its full name, edited below
        u = self.name("ga")
        r = s.post(f"{base}/api/v1/auth/register/", json={"username": u, "email": f"{u}@example.com", "password": PASSWORD,
                                                         "first_name": "Crash", "last_name": "Test"}, timeout=TIMEOUT)
        r.raise_for_status()
        self.gather = {"Authorization": "Bearer " + r.json()["access"]}
        self.gather_id = r.json()["user"]["id"]
        u = self.name("mc")
        r = s.post(f"{base}/users/register", json={"username": u, "email": f"{u}@example.com", "password": PASSWORD}, timeout=TIMEOUT)
        r.raise_for_status()
        r = s.post(f"{base}/users/login", json={"username_or_email": u, "password": PASSWORD}, timeout=TIMEOUT)
        r.raise_for_status()
        self.mcal = {"Authorization": "Bearer " + r.json()["access_token"]}
        r = s.post(f"{base}/calendars/", json={"name": self.name("cal"), "color": "#336699"}, headers=self.mcal, timeout=TIMEOUT)
        r.raise_for_status()
        self.calendar = r.json()["id"]

    def step(self, base, others):
        s, op = self.http, random.random()
        if op < 0.2:
            title = self.name("collab ")
            r = s.post(f"{base}/api/events", headers=self.collab, timeout=TIMEOUT,
                       json={"title": title, "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"})
            if r.status_code == 201:
                self.collab_events.append(r.json()["id"])
                self.ledger.created("collab", r.json()["id"], self.collab, title)
        elif op < 0.4 and self.collab_events:
            rid = random.choice(self.collab_events)
            title = self.name("edited ")
            self.ledger.editing("collab", rid, title)
            r = s.put(f"{base}/api/events/{rid}", headers=self.collab, json={"title": title}, timeout=TIMEOUT)
            if r.status_code == 200:
                self.ledger.edited("collab", rid, title)
        elif op < 0.55:
            title = self.name("gathering ")
            r = s.post(f"{base}/api/v1/events/", headers=self.gather, timeout=TIMEOUT,
                       json={"title": title, "description": "crash test", "date": "2030-06-01T12:00:00Z", "location": "here"})
            if r.status_code == 201:
                self.gatherings.append(r.json()["id"])
                self.ledger.created("gather", r.json()["id"], self.gather, title)
        elif op < 0.7:
            choices = [g for w in others for g in w.gatherings[-20:] if w is not self and g not in self.joined]
            if choices:
                gid = random.choice(choices)
                self.joined.add(gid)  # asked once, answered or not
                r = s.post(f"{base}/api/v1/events/{gid}/join/", headers=self.gather, timeout=TIMEOUT)
                if r.status_code in (200, 201):
                    self.ledger.joined_one(gid, self.gather_id, self.gather)
        elif op < 0.75:
            title = self.name("flow ")
            r = s.post(f"{base}/api/events/", headers=self.mcal, timeout=TIMEOUT,
                       json={"title": title, "start_time": minute(self.seq), "end_time": minute(self.seq, 30)})
            if r.status_code == 201:
                self.ledger.created("flowstate", r.json()["id"], self.mcal, title)
        elif op < 0.8:
            name = self.name("full name ")
            self.ledger.editing("admin", self.collab_id, name)
            r = s.put(f"{base}/api/v1/users/{self.collab_id}", headers=self.collab, json={"full_name": name}, timeout=TIMEOUT)
            if r.status_code == 200:
                self.ledger.edited("admin", self.collab_id, name)
        elif op < 0.85:
            title = self.name("mcal ")
            r = s.post(f"{base}/calendars/{self.calendar}/events/", headers=self.mcal, timeout=TIMEOUT,
                       json={"title": title, "description": None, "start_time": "2030-01-01T10:00:00",
                             "end_time": "2030-01-01T11:00:00", "is_all_day": False,
                             "repeat_frequency": "none", "repeat_until": None})
            if r.status_code == 201:
                self.ledger.created("mcal", r.json()["id"], self.mcal, title)
        else:
            u = self.name("reg")
            r = s.post(f"{base}/users/register", json={"username": u, "email": f"{u}@example.com", "password": PASSWORD}, timeout=TIMEOUT)
            if r.status_code in (200, 201):
                self.ledger.registered(u)


def drive(workers, base, stop):
    """Each worker steps until `stop` is set; a refused connection (the kill) ends it."""
    def loop(w):
        while not stop.is_set():
            try:
                w.step(base, workers)
            except requests.RequestException:
                if stop.wait(0.01):
                    return
    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    return threads


def check(base, ledger):
    """Every acknowledged write, as it was acknowledged (or as an unanswered edit left it)."""
    lost = []
    paths = {"collab": "/api/events/{}", "gather": "/api/v1/events/{}/", "mcal": "/events/{}/",
             "flowstate": "/api/events/{}", "admin": "/api/v1/users/{}"}
    fields = {"admin": "full_name"}
    with ledger.lock:
        titled = [(k, dict(v, pending=list(v["pending"]))) for k, v in ledger.titled.items()]
        users, joined = list(ledger.users), list(ledger.joined)

    def one_titled(item):
        (kind, rid), entry = item
        r = requests.get(base + paths[kind].format(rid), headers=entry["token"], timeout=30)
        if r.status_code != 200:
            return f"{kind} {rid}: {r.status_code} {r.text[:120]}"
        title = r.json()[fields.get(kind, "title")]
        if title != entry["acked"] and title not in entry["pending"]:
            return f"{kind} {rid}: title {title!r}, acknowledged {entry['acked']!r}"
        return None

    def one_user(user):
        r = requests.post(f"{base}/users/login", json={"username_or_email": user[0], "password": user[1]}, timeout=30)
        return None if r.status_code == 200 else f"user {user[0]}: login {r.status_code}"

    participants = {}

    def one_join(j):
        gid, uid, token = j
        if gid not in participants:
            r = requests.get(f"{base}/api/v1/events/{gid}/", headers=token, timeout=30)
            participants[gid] = {p["id"] for p in r.json().get("participants", [])} if r.status_code == 200 else set()
        return None if uid in participants[gid] else f"gathering {gid}: user {uid} no longer takes part"

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        lost += [x for x in pool.map(one_titled, titled) if x]
        lost += [x for x in pool.map(one_user, users) if x]
    lost += [x for x in map(one_join, joined) if x]
    return lost


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Exit status: 0 when nothing acknowledged was lost and every verify passed.")
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--rounds", type=int, default=20, help="kill -9 rounds (default 20)")
    p.add_argument("--connections", type=int, default=6, help="concurrent client connections (default 6)")
    p.add_argument("--seconds", type=float, default=3.0, help="upper bound of load before each kill; the kill comes at a random moment within it (default 3)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    p.add_argument("--keep", action="store_true", help="keep the data directory and print where it is")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="almanac-crash-")
    data = f"{work}/data"
    ledger = Ledger()
    workers = [Worker(i, ledger) for i in range(args.connections)]
    server = Server(args.almanac, data).start()
    for w in workers:
        w.setup(server.base)
    started = time.time()
    failures = []
    lost_ever = set()
    verify_passes = 0
    print(f"crash: {args.rounds} rounds, {args.connections} connections, data in {data}", flush=True)
    for round_no in range(1, args.rounds + 1):
        stop = threading.Event()
        threads = drive(workers, server.base, stop)
        time.sleep(random.uniform(0.3, args.seconds))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        v = subprocess.run([args.almanac, "verify", "--data", data], capture_output=True, text=True)
        if v.returncode != 0:
            failures.append(f"round {round_no}: verify failed: {v.stdout[-300:]} {v.stderr[-300:]}")
        else:
            verify_passes += 1
        server = Server(args.almanac, data).start()
        lost = check(server.base, ledger)
        failures += [f"round {round_no}: {x}" for x in lost if x not in lost_ever]
        lost_ever.update(lost)
        print(f"round {round_no}: {ledger.count()} acknowledged so far, verify {'ok' if v.returncode == 0 else 'FAILED'}, "
              f"lost {len(lost)}", flush=True)
    server.stop()
    summary = {"rounds": args.rounds, "connections": args.connections, "acknowledged_writes": ledger.count(),
               "lost_writes": len(lost_ever),
               "verify_passes": verify_passes, "by_kind": dict(sorted(ledger.by_kind.items())), "seconds": round(time.time() - started, 1)}
    print("crash: " + json.dumps(summary))
    for f in failures[:20]:
        print("crash: " + f, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out)
    if args.keep:
        print(f"crash: data kept in {data}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
