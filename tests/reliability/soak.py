#!/usr/bin/python3
"""A soak: a fixed mixed load for a fixed time, the server's memory sampled.

Several connections send requests of every contract at a fixed total rate:
reads of each contract's lists and profiles, edits of a fixed set of objects,
and objects created and deleted again, so the live data stays the same size
while the log grows. Every 10 s the server's /metrics gives its RSS, its heap
(in use, and free but kept by the allocator) and the memory of the log's
memtables: RocksDB keeps the newest writes there until it flushes them to
table files at 64 MiB, so that part grows with the log and is bounded. RSS
less the memtables is what must not grow. It prints the throughput, the
p50/p99 latency, the errors (any answer other than the one expected, or no
answer), the samples, and that trend over the second half of the run.

Exits 1 when there was an error, when the offered rate was not kept (the
server fell behind), or when memory kept growing: that trend extrapolated over
the whole run must stay under --rss-growth (10% of the RSS at the half-way
mark by default). Loopback only; a fresh data directory,
removed afterwards. Usage: tests/reliability/soak.py [--almanac PATH]
[--minutes M | --seconds S] [--rate R] [--connections C]."""
import argparse
import concurrent.futures
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time

import requests

from harness import Server, metrics

TIMEOUT = 10
PASSWORD = "Soak-test-9"
SAMPLE_EVERY = 10.0


class Sample:
    """The server's memory at one moment, from its /metrics, in KiB."""

    def __init__(self, t, base):
        values = metrics(base, TIMEOUT)
        self.t = t
        self.rss = values["process_resident_memory_bytes"] / 1024
        self.heap_in_use = values['almanac_heap_bytes{state="in_use"}'] / 1024
        self.heap_free = values['almanac_heap_bytes{state="free"}'] / 1024
        self.memtables = values["almanac_log_buffered_bytes"] / 1024
        self.head = int(values["almanac_log_head_position"])

    def rest(self):
        """RSS less the memtables: what must not grow."""
        return self.rss - self.memtables

    def row(self):
        return [round(self.t), round(self.rss / 1024, 1), round(self.memtables / 1024, 1),
                round(self.heap_in_use / 1024, 1), round(self.heap_free / 1024, 1)]


class Client:
    """One connection: its users of each contract, a fixed set of objects, a loop of mixed requests."""

    def __init__(self, n, base):
        self.n, self.base, self.seq = n, base, 0
        self.http = requests.Session()

    def name(self, what):
        self.seq += 1
        return f"{what}{self.n}x{self.seq}x{random.randrange(1 << 30)}"

    def call(self, method, path, expect, **kw):
        r = self.http.request(method, self.base + path, timeout=TIMEOUT, **kw)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")
        return r

    def setup(self):
        u = self.name("co")
        r = self.call("POST", "/api/auth/register", (201,),
                      json={"email": f"{u}@example.com", "password": PASSWORD, "username": u})
        self.collab_id = r.json()["id"]
        r = self.call("POST", "/api/auth/login", (200,), data={"username": u, "password": PASSWORD})
        self.collab = {"Authorization": "Bearer " + r.json()["access_token"]}
        u = self.name("ga")
        r = self.call("POST", "/api/v1/auth/register/", (201,),
                      json={"username": u, "email": f"{u}@example.com", "password": PASSWORD,
                            "first_name": "Soak", "last_name": "Test"})
        self.gather = {"Authorization": "Bearer " + r.json()["access"]}
        u = self.name("mc")
        self.call("POST", "/users/register", (200, 201), json={"username": u, "email": f"{u}@example.com",
                                                                "password": PASSWORD})
        r = self.call("POST", "/users/login", (200,), json={"username_or_email": u, "password": PASSWORD})
        self.mcal = {"Authorization": "Bearer " + r.json()["access_token"]}
        r = self.call("POST", "/calendars/", (201,), json={"name": self.name("cal"), "color": "#336699"},
                      headers=self.mcal)
        self.calendar = r.json()["id"]
        self.collab_events = [self.collab_event()["id"] for _ in range(5)]
        self.gatherings = [self.gathering()["id"] for _ in range(3)]
        self.mcal_events = [self.mcal_event() for _ in range(5)]

    def collab_event(self):
        return self.call("POST", "/api/events", (201,), headers=self.collab,
                         json={"title": self.name("collab "), "start_time": "2030-01-01T10:00:00Z",
                               "end_time": "2030-01-01T11:00:00Z"}).json()

    def gathering(self):
        return self.call("POST", "/api/v1/events/", (201,), headers=self.gather,
                         json={"title": self.name("gathering "), "description": "soak", "location": "here",
                               "date": "2030-06-01T12:00:00Z"}).json()

    def mcal_event(self):
        return self.call("POST", f"/calendars/{self.calendar}/events/", (201,), headers=self.mcal,
                         json=self.mcal_body("mcal ")).json()["id"]

    def mcal_body(self, title):
        return {"title": self.name(title), "description": None, "start_time": "2030-01-01T10:00:00",
                "end_time": "2030-01-01T11:00:00", "is_all_day": False, "repeat_frequency": "weekly",
                "repeat_until": "2030-12-31"}

    def step(self):
        """One request of the mix (a create-and-delete counts as two)."""
        op = random.random()
        if op < 0.15:
            self.call("GET", "/api/events", (200,), headers=self.collab,
                      params={"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"})
        elif op < 0.27:
            self.call("GET", "/api/v1/events/", (200,), headers=self.gather, params={"page_size": 20})
        elif op < 0.39:
            self.call("GET", "/events/expanded/", (200,), headers=self.mcal,
                      params={"start_date": "2030-01-01", "end_date": "2030-03-01"})
        elif op < 0.49:
            self.call("GET", "/api/events/", (200,), headers=self.mcal)
        elif op < 0.57:
            self.call("GET", "/users/me", (200,), headers=self.mcal)
        elif op < 0.62:
            self.call("GET", "/api/v1/auth/profile/", (200,), headers=self.gather)
        elif op < 0.72:
            rid = random.choice(self.collab_events)
            self.call("PUT", f"/api/events/{rid}", (200,), headers=self.collab, json={"title": self.name("edited ")})
        elif op < 0.78:
            rid = random.choice(self.gatherings)
            self.call("PUT", f"/api/v1/events/{rid}/", (200,), headers=self.gather,
                      json={"title": self.name("retitled "), "description": "soak", "location": "there",
                            "date": "2030-06-01T12:00:00Z"})
        elif op < 0.84:
            rid = random.choice(self.mcal_events)
            self.call("PUT", f"/events/{rid}/", (200,), headers=self.mcal, json=self.mcal_body("renamed "))
        elif op < 0.88:
            self.call("PUT", f"/api/v1/users/{self.collab_id}", (200,), headers=self.collab,
                      json={"full_name": self.name("full name ")})
        elif op < 0.94:
            rid = self.collab_event()["id"]
            self.call("DELETE", f"/api/events/{rid}", (200, 204), headers=self.collab)
        else:
            rid = self.gathering()["id"]
            self.call("DELETE", f"/api/v1/events/{rid}/", (200, 204), headers=self.gather)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--almanac", default="build/release/almanac", help="the binary (default: %(default)s)")
    ap.add_argument("--minutes", type=float, default=10, help="length of the run (default: %(default)s)")
    ap.add_argument("--seconds", type=float, help="length of the run in seconds (instead of --minutes)")
    ap.add_argument("--rate", type=float, default=200, help="requests per second offered in all (default: %(default)s)")
    ap.add_argument("--connections", type=int, default=8, help="client connections (default: %(default)s)")
    ap.add_argument("--rss-growth", type=float, default=0.10,
                    help="largest RSS growth over the run, extrapolated from the second half's trend, "
                         "as a share of the half-way RSS (default: %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--json", help="also write the summary to this file")
    args = ap.parse_args()
    duration = args.seconds if args.seconds else args.minutes * 60

    data = tempfile.mkdtemp(prefix="almanac-soak-")
    server = Server(args.almanac, data, stderr_path=f"{data}.stderr").start()
    pid = server.proc.pid
    clients = [Client(i, server.base) for i in range(args.connections)]
    try:
        with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(lambda c: c.setup(), clients))
        print(f"soak: {args.connections} connections, {args.rate:g} requests/s offered, {duration:g} s, "
              f"server pid {pid} on {server.base}", flush=True)

        latencies, errors, lock = [], [], threading.Lock()
        samples = []
        start = time.monotonic()
        end = start + duration
        interval = args.connections / args.rate  # each connection keeps its share of the rate

        def loop(c, offset):
            next_at = start + offset
            mine = []
            while True:
                now = time.monotonic()
                if now >= end:
                    break
                if next_at > now:
                    time.sleep(next_at - now)
                t0 = time.monotonic()
                try:
                    c.step()
                except Exception as e:  # an answer other than expected, or none
                    with lock:
                        errors.append(str(e))
                mine.append(time.monotonic() - t0)
                next_at += interval
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=loop, args=(c, i * interval / len(clients)), daemon=True)
                   for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        while time.monotonic() < end:
            t = time.monotonic() - start
            s = Sample(t, server.base)
            samples.append(s)
            print(f"  {t:6.0f} s  RSS {s.rss / 1024:6.1f} MiB  memtables {s.memtables / 1024:5.1f} MiB"
                  f"  heap in use {s.heap_in_use / 1024:5.1f} MiB, free {s.heap_free / 1024:5.1f} MiB"
                  f"  errors {len(errors)}", flush=True)
            time.sleep(min(SAMPLE_EVERY, max(0.0, end - time.monotonic())))
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        samples.append(Sample(elapsed, server.base))
        status = server.stop()
    finally:
        if server.proc.poll() is None:
            server.stop()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)

    done = len(latencies)
    latencies.sort()
    p50 = latencies[done // 2] * 1000 if done else 0
    p99 = latencies[min(done - 1, int(done * 0.99))] * 1000 if done else 0
    half = [s for s in samples if s.t >= elapsed / 2]
    slope = statistics.linear_regression([s.t for s in half], [s.rest() for s in half]).slope if len(half) >= 2 else 0.0
    mid_rss = half[0].rest() if half else samples[0].rest()
    growth = slope * elapsed / mid_rss if mid_rss else 0.0
    kept = done / elapsed >= 0.95 * args.rate
    summary = {
        "seconds": round(elapsed, 1), "requests": done, "requests_per_s": round(done / elapsed, 1),
        "offered_per_s": args.rate, "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "errors": len(errors),
        "rss_start_mib": round(samples[0].rss / 1024, 1), "rss_end_mib": round(samples[-1].rss / 1024, 1),
        "memtables_end_mib": round(samples[-1].memtables / 1024, 1),
        "rss_less_memtables_start_mib": round(samples[0].rest() / 1024, 1),
        "rss_less_memtables_end_mib": round(samples[-1].rest() / 1024, 1),
        "rss_less_memtables_trend_kib_per_min_second_half": round(slope * 60, 1),
        "heap_in_use_start_mib": round(samples[0].heap_in_use / 1024, 1),
        "heap_in_use_end_mib": round(samples[-1].heap_in_use / 1024, 1),
        "heap_free_end_mib": round(samples[-1].heap_free / 1024, 1),
        "log_head": samples[-1].head, "server_exit": status,
        "samples_mib": {"columns": ["s", "rss", "memtables", "heap_in_use", "heap_free"],
                        "rows": [s.row() for s in samples]}}
    print(json.dumps({k: v for k, v in summary.items() if k != "samples_mib"}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f)
    for e in errors[:10]:
        print("error:", e, file=sys.stderr)
    failed = []
    if errors:
        failed.append(f"{len(errors)} errors")
    if not kept:
        failed.append(f"the server answered {done / elapsed:.1f} requests/s of {args.rate:g} offered")
    if growth > args.rss_growth:
        failed.append(f"RSS less the log's memtables grew {slope * 60:.0f} KiB/min over the second half "
                      f"({growth:.1%} over the run)")
    if status != 0:
        failed.append(f"the server exited with {status} on SIGTERM")
    if failed:
        print("soak: FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
