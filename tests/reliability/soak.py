#!/usr/bin/python3
"""A soak: a fixed mixed load for a fixed time, the server's memory sampled.

Several connections send requests of every contract at a fixed total rate:
reads of each contract's lists and profiles, edits of a fixed set of objects,
and objects created and deleted again, so the live data stays the same size
while the log grows. The server's RSS is sampled every 10 s, with the size of the
log's write-ahead files: RocksDB keeps what they hold in memtables as well
until it flushes them at 64 MiB, so that part of RSS grows with the log and is
bounded. After the run the memtables' cost is measured (the peak RSS of
reading the log before and after a restart has flushed them), and RSS less
that cost, in proportion to the unflushed log at each sample, is what must not
grow. It prints the throughput, the p50/p99 latency, the errors (any answer
other than the one expected, or no answer), the RSS samples, and that trend
over the second half of the run.

Exits 1 when there was an error, when the offered rate was not kept (the
server fell behind), or when memory kept growing: that trend extrapolated over
the whole run must stay under --rss-growth (10% of the RSS at the half-way
mark by default). Loopback only; a fresh data directory,
removed afterwards. Usage: tests/reliability/soak.py [--almanac PATH]
[--minutes M | --seconds S] [--rate R] [--connections C]."""
import argparse
import concurrent.futures
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

from harness import Server

TIMEOUT = 10
PASSWORD = "Soak-test-9"
SAMPLE_EVERY = 10.0


def unflushed_log_kib(data):
    """Bytes in the log's write-ahead files: what RocksDB also holds in its memtables until it
    flushes them to table files (at 64 MiB a column family)."""
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(data, "*.log"))) // 1024


def peak_rss_kib(argv):
    """The peak RSS of a command run to its end."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True, timeout=600)
    return int(p.stderr.strip().splitlines()[-1])


def memtable_kib(binary, data, stderr_path):
    """What the unflushed log costs in memory. Reading one event opens the log read-only, which
    loads the write-ahead files into memtables; a server started on the directory flushes them
    to table files. The peak RSS of the read before that, less the one after."""
    read = [binary, "log", "--data", data, "--limit", "1"]
    before = peak_rss_kib(read)
    Server(binary, data, stderr_path=stderr_path).start().stop()
    if unflushed_log_kib(data) > 64:
        raise SystemExit("soak: a restart did not flush the log's memtables; cannot size them")
    return max(0, before - peak_rss_kib(read))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


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
        samples = []  # (seconds since start, RSS KiB, unflushed log KiB)
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
            samples.append((t, rss_kib(pid), unflushed_log_kib(data)))
            print(f"  {t:6.0f} s  RSS {samples[-1][1] / 1024:7.1f} MiB  unflushed log {samples[-1][2] / 1024:6.1f} MiB"
                  f"  errors {len(errors)}", flush=True)
            time.sleep(min(SAMPLE_EVERY, max(0.0, end - time.monotonic())))
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        samples.append((elapsed, rss_kib(pid), unflushed_log_kib(data)))
        head = requests.get(f"{server.base}/metrics", timeout=30).text
        head = next((line.split()[1] for line in head.splitlines() if line.startswith("almanac_log_head_position ")), "?")
        status = server.stop()
        memtables = memtable_kib(args.almanac, data, f"{data}.stderr")
    finally:
        if server.proc.poll() is None:
            server.stop()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)

    done = len(latencies)
    latencies.sort()
    p50 = latencies[done // 2] * 1000 if done else 0
    p99 = latencies[min(done - 1, int(done * 0.99))] * 1000 if done else 0
    # Memory for the unflushed log, in proportion to its size, as measured at the end.
    per_log_kib = memtables / samples[-1][2] if samples[-1][2] else 0.0
    rest = [(t, k - w * per_log_kib) for t, k, w in samples]
    half = [r for r in rest if r[0] >= elapsed / 2]
    slope = statistics.linear_regression([r[0] for r in half], [r[1] for r in half]).slope if len(half) >= 2 else 0.0
    mid_rss = half[0][1] if half else samples[0][1]
    growth = slope * elapsed / mid_rss if mid_rss else 0.0
    kept = done / elapsed >= 0.95 * args.rate
    summary = {
        "seconds": round(elapsed, 1), "requests": done, "requests_per_s": round(done / elapsed, 1),
        "offered_per_s": args.rate, "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "errors": len(errors),
        "rss_start_mib": round(samples[0][1] / 1024, 1), "rss_end_mib": round(samples[-1][1] / 1024, 1),
        "unflushed_log_end_mib": round(samples[-1][2] / 1024, 1), "memtables_end_mib": round(memtables / 1024, 1),
        "rss_less_memtables_start_mib": round(rest[0][1] / 1024, 1),
        "rss_less_memtables_end_mib": round(rest[-1][1] / 1024, 1),
        "rss_less_memtables_trend_kib_per_min_second_half": round(slope * 60, 1), "log_head": head,
        "server_exit": status,
        "samples_mib": [[round(t), round(k / 1024, 1), round(w / 1024, 1)] for t, k, w in samples]}
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
