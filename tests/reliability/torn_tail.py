#!/usr/bin/python3
"""A damaged log is refused on open, with a message that says what to do.

Writes registrations through a server, stops it cleanly, and makes a backup.
It then damages copies of the data directory in four ways:
- cut bytes from the end of the newest WAL file;
- overwrite bytes in the middle of it;
- overwrite a block of the largest SST file of the backup;
- cut the end of that SST file.
On each copy, `almanac verify` and `almanac serve` must both refuse to start
and say that the log is damaged; nothing may be served from it. The
undamaged copies open and hold every write.

Prints one line per case; exits 1 when a damaged copy opens.
Usage: tests/reliability/torn_tail.py [--almanac PATH] [--writes N]."""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import requests

from harness import Server

DAMAGED = "is damaged and nothing is served from it"


def wal(d):
    return max(glob.glob(f"{d}/*.log"), key=os.path.getmtime)


def largest_sst(d):
    return max(glob.glob(f"{d}/*.sst"), key=os.path.getsize)


def cut(path, n):
    os.truncate(path, max(0, os.path.getsize(path) - n))


def overwrite(path, at_fraction, n):
    with open(path, "r+b") as f:
        f.seek(int(os.path.getsize(path) * at_fraction))
        f.write(b"\xa5" * n)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--writes", type=int, default=200, help="registrations written first (default 200)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="almanac-torn-")
    data, backup = f"{work}/data", f"{work}/backup"
    server = Server(args.almanac, data).start()
    s = requests.Session()
    for i in range(args.writes):
        r = s.post(f"{server.base}/users/register", timeout=30,
                   json={"username": f"torn{i}", "email": f"torn{i}@example.com", "password": "password-torn"})
        r.raise_for_status()
    assert server.stop() == 0
    # The directory as the server left it (a backup flushes the WAL into SSTs).
    stopped = f"{work}/stopped"
    shutil.copytree(data, stopped)
    subprocess.run([args.almanac, "backup", backup, "--data", data], check=True, capture_output=True)

    # About a registration and a half of bytes: whole acknowledged records go.
    wal_record = os.path.getsize(wal(stopped)) // (2 * args.writes) * 3
    cases = [
        ("intact data directory", stopped, None, True),
        ("intact backup", backup, None, True),
        ("newest WAL cut by {} bytes".format(wal_record), stopped, lambda d: cut(wal(d), wal_record), False),
        ("16 bytes overwritten in the middle of the newest WAL", stopped, lambda d: overwrite(wal(d), 0.5, 16), False),
        ("32 bytes overwritten in the largest SST", backup, lambda d: overwrite(largest_sst(d), 0.33, 32), False),
        ("largest SST cut by 200 bytes", backup, lambda d: cut(largest_sst(d), 200), False),
    ]
    results, failures = [], []
    for name, source, damage, should_open in cases:
        copy = f"{work}/case{len(results)}"
        shutil.copytree(source, copy)
        if damage:
            damage(copy)
        v = subprocess.run([args.almanac, "verify", "--data", copy], capture_output=True, text=True, timeout=300)
        try:
            serve = subprocess.run([args.almanac, "serve", "--data", copy, "--listen", "127.0.0.1:0"],
                                   capture_output=True, text=True, timeout=20)
            served = False
        except subprocess.TimeoutExpired:
            served = True  # still running: it opened and listened
        said = v.stderr.strip().splitlines()
        if should_open:
            ok = v.returncode == 0 and served
        else:
            ok = v.returncode != 0 and not served and DAMAGED in v.stderr and DAMAGED in serve.stderr
        results.append({"case": name, "verify_exit": v.returncode, "served": served, "ok": ok,
                        "message": said[-2] if len(said) >= 2 and not should_open else "",
                        "serve_said": "" if served else serve.stderr.strip().splitlines()[-1]})
        print(f"torn_tail: {'ok  ' if ok else 'FAIL'} {name}: verify exit {v.returncode}, "
              f"{'served' if served else 'not served'}", flush=True)
        if not ok:
            failures.append(name)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"cases": results}, out)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
