#!/usr/bin/python3
"""The disk fills up under the server: writes are refused, nothing is lost.

Mounts a small tmpfs (root only), puts the data directory on it, leaves a few
MiB free with a ballast file, and writes collab events with large
descriptions until the disk is full. Then it checks four things:
- Writes of every contract are refused with 503 in the contract's own shape,
  and the server's log says what happened and what to do.
- Reads keep working, and the server stays up.
- Once the ballast is removed, the server stops cleanly and `almanac verify`
  passes.
- After a restart, every acknowledged write is there and new writes succeed.

Writes do not resume without a restart: after a failed WAL write RocksDB
keeps refusing writes, and the server's writer has already decided later
commands against state that holds the failed one.

Prints a summary; exits 1 on any failed check and 2 when it cannot mount
(not root, or a container that forbids it).
Usage: tests/reliability/disk_full.py [--almanac PATH] [--size-mb N]."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import requests

from crash import Ledger, Worker
from harness import Server


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--size-mb", type=int, default=48, help="size of the filesystem made for the data directory (default 48)")
    p.add_argument("--free-mb", type=int, default=6, help="space left free by the ballast before the writes (default 6)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("disk_full: needs root to mount a small filesystem for the data directory", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="almanac-disk-full-")
    mnt, log = f"{work}/mnt", f"{work}/server.log"
    os.mkdir(mnt)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", mnt],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        print(f"disk_full: cannot mount a small filesystem here: {mounted.stderr.strip()}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        return 2
    failures = []
    summary = {}
    server = None
    try:
        data = f"{mnt}/data"
        server = Server(args.almanac, data, stderr_path=log).start()
        base = server.base
        w = Worker(0, Ledger())
        w.setup(base)
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        ballast = f"{mnt}/ballast"
        subprocess.run(["fallocate", "-l", str(max(0, free - args.free_mb * 2**20)), ballast], check=True)

        acked, refusal = [], None
        body = {"description": "x" * 20000, "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"}
        for i in range(100000):
            r = requests.post(f"{base}/api/events", headers=w.collab, json={"title": f"full {i}", **body}, timeout=30)
            if r.status_code != 201:
                refusal = r
                break
            acked.append((r.json()["id"], f"full {i}"))
        summary["acknowledged_before_full"] = len(acked)
        if refusal is None or refusal.status_code not in (503, 507):
            failures.append(f"the write that found the disk full: {refusal and refusal.status_code} {refusal and refusal.text[:200]}")
        elif refusal.json()["detail"]["code"] != "SERVICE_UNAVAILABLE":
            failures.append(f"collab refusal not in collab's shape: {refusal.text[:200]}")
        summary["collab_refusal"] = refusal.json() if refusal is not None else None

        # Every contract refuses in its own shape, and the server stays up.
        r = requests.post(f"{base}/api/v1/events/", headers=w.gather, timeout=30,
                          json={"title": "after", "description": "", "date": "2030-06-01T12:00:00Z", "location": ""})
        if r.status_code not in (503, 507) or set(r.json()) != {"error", "message", "details", "timestamp"}:
            failures.append(f"gather refusal: {r.status_code} {r.text[:200]}")
        summary["gather_refusal"] = r.json()
        r = requests.post(f"{base}/calendars/", headers=w.mcal, json={"name": "after", "color": "#000000"}, timeout=30)
        if r.status_code not in (503, 507) or not isinstance(r.json().get("detail"), str):
            failures.append(f"mcal refusal: {r.status_code} {r.text[:200]}")
        summary["mcal_refusal"] = r.json()

        # Reads keep working.
        for path, headers in ((f"/api/events/{acked[0][0]}", w.collab), ("/api/v1/events/", w.gather), ("/calendars/", w.mcal)):
            r = requests.get(base + path, headers=headers, timeout=30)
            if r.status_code != 200:
                failures.append(f"read {path} while full: {r.status_code}")
        with open(log) as f:
            said = [line.rstrip() for line in f if "no space" in line.lower() or "restart" in line]
        if not any("restarted" in line for line in said):
            failures.append("no log line says the writes stopped and what to do")
        summary["log_lines"] = said[:3]

        # Space freed: a clean stop, verify, a restart with everything there.
        os.remove(ballast)
        status = server.stop()
        server = None
        if status != 0:
            failures.append(f"the server's exit status after the disk was full: {status}")
        v = subprocess.run([args.almanac, "verify", "--data", data], capture_output=True, text=True)
        summary["verify"] = "ok" if v.returncode == 0 else v.stdout[-300:] + v.stderr[-300:]
        if v.returncode != 0:
            failures.append("verify failed after the disk was full")
        server = Server(args.almanac, data, stderr_path=log).start()
        base = server.base
        lost = 0
        for rid, title in acked:
            r = requests.get(f"{base}/api/events/{rid}", headers=w.collab, timeout=30)
            if r.status_code != 200 or r.json()["title"] != title:
                lost += 1
        summary["lost_writes"] = lost
        if lost:
            failures.append(f"{lost} acknowledged writes lost")
        r = requests.post(f"{base}/api/events", headers=w.collab, json={"title": "after restart", **body}, timeout=30)
        summary["write_after_restart"] = r.status_code
        if r.status_code != 201:
            failures.append(f"write after restart: {r.status_code} {r.text[:200]}")
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", mnt], check=False)
        shutil.rmtree(work, ignore_errors=True)

    print("disk_full: " + json.dumps(summary))
    for f in failures:
        print("disk_full: " + f, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
