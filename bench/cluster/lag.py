"""bench/cluster: the lag from a commit on the writer to its delivery on a WebSocket, on a
follower's /streams/live and, as the baseline, on the writer's own. A client registers users
through the writer at a steady rate; every event carries recorded_at (the writer's clock, when
the command was decided, just before its commit), and each subscriber notes when it received
the event (the same machine's clock). Prints one line per subscriber:
"lag node=N events=E p50_ms=X p99_ms=Y".

Usage: lag.py WRITER_HOST:PORT FOLLOWER_HOST:PORT TOKEN [--events N] [--rate R]"""
import asyncio
import datetime
import json
import sys
import threading
import time
import uuid

import requests
import websockets


def parse_utc(text):
    """A time as almanac renders it: 2024-03-01T09:00:00.250000Z (no fraction when it is 0)."""
    form = "%Y-%m-%dT%H:%M:%S.%f%z" if "." in text else "%Y-%m-%dT%H:%M:%S%z"
    return datetime.datetime.strptime(text.replace("Z", "+0000"), form).timestamp()


async def subscribe(address, token, start, expected, out, ready):
    url = f"ws://{address}/streams/live?from={start}&token={token}"
    async with websockets.connect(url, open_timeout=10, ping_interval=None, max_queue=None) as ws:
        ready.set()
        while len(out) < expected:
            msg = await asyncio.wait_for(ws.recv(), 60)
            received = time.time()
            event = json.loads(msg)
            if event["type"] == "UserRegistered":
                out.append((event["position"], received - parse_utc(event["recorded_at"])))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    writer, follower, token = sys.argv[1:4]
    events, rate = 1000, 200.0
    args = sys.argv[4:]
    for flag, value in zip(args[::2], args[1::2]):
        if flag == "--events":
            events = int(value)
        elif flag == "--rate":
            rate = float(value)
    start = requests.get(f"http://{writer}/health/ready", timeout=10).json()["checks"]["cluster"]["log_head"]
    results = {writer: [], follower: []}
    readies = []

    def listen(address):
        ready = threading.Event()
        readies.append(ready)
        asyncio.run(subscribe(address, token, start, events, results[address], ready))

    threads = [threading.Thread(target=listen, args=(a,)) for a in (writer, follower)]
    for t in threads:
        t.start()
    while len(readies) < 2 or not all(r.is_set() for r in readies):
        time.sleep(0.01)
    session = requests.Session()
    run = uuid.uuid4().hex[:8]
    next_at = time.time()
    for i in range(events):
        name = f"lag{run}_{i}"
        r = session.post(f"http://{writer}/users/register", timeout=30,
                         json={"username": name, "email": f"{name}@bench.example", "password": "bench-password-1"})
        if r.status_code != 200:
            sys.exit(f"lag.py: registration answered {r.status_code}: {r.text}")
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.time()))
    for t in threads:
        t.join(timeout=120)
    for address, label in ((writer, "writer"), (follower, "follower")):
        lags = [lag * 1000 for _, lag in results[address]]
        if len(lags) != events:
            sys.exit(f"lag.py: the {label} delivered {len(lags)} of {events} events")
        print(f"lag node={label} events={len(lags)} p50_ms={percentile(lags, 50):.3f} p99_ms={percentile(lags, 99):.3f}")


if __name__ == "__main__":
    main()
