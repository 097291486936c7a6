#!/usr/bin/python3
"""Where memory goes, one kind of request at a time.

One server on a fresh data directory gets runs of a single kind of request, one
after another: reads, edits of one object, objects created and deleted again.
Around each run it reads /metrics, and prints per request how much grew:

  rss        the process's resident memory
  memtables  the log's memtables (RocksDB keeps the newest writes there until it
             flushes them to table files at 64 MiB: bounded)
  rest       RSS less the memtables
  in use     the heap in use less the memtables: what the server keeps
  free       freed memory the allocator keeps for reuse

The memtables and the allocator count in blocks of up to 1 MiB, so a run must be
long enough for a block to be small against it (the default counts are).
Loopback only; the data directory is removed afterwards. Usage:
tests/reliability/memory_phases.py [--almanac PATH] [--scale F] [--json FILE]"""
import argparse
import json
import shutil
import sys
import tempfile
import time

import requests

from harness import Server, metrics

PASSWORD = "Phase-test-9"


def snapshot(base):
    v = metrics(base)
    return {"rss": v["process_resident_memory_bytes"], "memtables": v["almanac_log_buffered_bytes"],
            "heap": v['almanac_heap_bytes{state="in_use"}'], "free": v['almanac_heap_bytes{state="free"}']}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--almanac", default="build/release/almanac", help="the binary (default: %(default)s)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies every run's count (default %(default)s: 4,000 reads, 20,000 edits, "
                         "10,000 objects created and deleted)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="almanac-phases-")
    server = Server(args.almanac, data, stderr_path=f"{data}.stderr").start()
    b, http = server.base, requests.Session()
    try:
        def call(method, path, expect, **kw):
            r = http.request(method, b + path, timeout=30, **kw)
            if r.status_code not in expect:
                raise SystemExit(f"memory_phases: {method} {path}: {r.status_code} {r.text[:200]}")
            return r

        user = call("POST", "/api/auth/register", (201,),
                    json={"email": "phases@example.com", "password": PASSWORD, "username": "phases"}).json()["id"]
        token = call("POST", "/api/auth/login", (200,),
                     data={"username": "phases", "password": PASSWORD}).json()["access_token"]
        collab = {"Authorization": "Bearer " + token}
        token = call("POST", "/api/v1/auth/register/", (201,),
                     json={"username": "gphases", "email": "gphases@example.com", "password": PASSWORD,
                           "first_name": "Phase", "last_name": "Test"}).json()["access"]
        gather = {"Authorization": "Bearer " + token}
        event = {"title": "phase", "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"}
        edited = call("POST", "/api/events", (201,), headers=collab, json=event).json()["id"]

        def read(i):
            call("GET", "/api/events", (200,), headers=collab,
                 params={"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"})

        def collab_edit(i):
            call("PUT", f"/api/events/{edited}", (200,), headers=collab, json={"title": f"edited {i}"})

        def admin_edit(i):
            call("PUT", f"/api/v1/users/{user}", (200,), headers=collab, json={"full_name": f"name {i}"})

        def collab_churn(i):
            rid = call("POST", "/api/events", (201,), headers=collab, json=dict(event, title=f"t{i}")).json()["id"]
            call("DELETE", f"/api/events/{rid}", (200, 204), headers=collab)

        def gather_churn(i):
            rid = call("POST", "/api/v1/events/", (201,), headers=gather,
                       json={"title": f"gathering {i}", "description": "phase", "location": "here",
                             "date": "2030-06-01T12:00:00Z"}).json()["id"]
            call("DELETE", f"/api/v1/events/{rid}/", (200, 204), headers=gather)

        phases = [("warm-up reads", 2000, read), ("reads", 4000, read), ("collab edits", 20000, collab_edit),
                  ("collab events created and deleted", 10000, collab_churn),
                  ("gatherings created and deleted", 10000, gather_churn), ("admin edits", 20000, admin_edit)]
        print(f"{'phase':36s} {'count':>6s}  bytes per request: {'rss':>6s} {'memtables':>9s} {'rest':>6s} "
              f"{'in use':>6s} {'free':>6s}", flush=True)
        results = []
        for name, count, step in phases:
            n = max(1, int(count * args.scale))
            before, t0 = snapshot(b), time.monotonic()
            for i in range(n):
                step(i)
            time.sleep(0.5)  # let the last group commit land
            after = snapshot(b)
            d = {k: (after[k] - before[k]) / n for k in before}
            row = {"phase": name, "count": n, "seconds": round(time.monotonic() - t0, 1),
                   "rss": round(d["rss"]), "memtables": round(d["memtables"]),
                   "rest": round(d["rss"] - d["memtables"]), "in_use": round(d["heap"] - d["memtables"]),
                   "free": round(d["free"])}
            results.append(row)
            print(f"{name:36s} {n:6d}  {'':19s}{row['rss']:6d} {row['memtables']:9d} {row['rest']:6d} "
                  f"{row['in_use']:6d} {row['free']:6d}", flush=True)
        status = server.stop()
    finally:
        if server.proc.poll() is None:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"phases": results, "server_exit": status}, f)
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
