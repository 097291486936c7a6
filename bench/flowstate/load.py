"""Loads the users of bench/flowstate: for each name given, a user holding HISTORY events
at [BASE + k h, BASE + k h + 30 min), k < HISTORY, created through POST /api/events/
(each with its conflict check). Prints one line per user: name, access token.

usage: load.py URL BASE_SECONDS NAME:HISTORY [NAME:HISTORY ...]"""
import concurrent.futures
import datetime
import sys

import requests

PASSWORD = "bench-password-1"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    url, base = sys.argv[1], int(sys.argv[2])
    for spec in sys.argv[3:]:
        name, history = spec.split(":")
        history = int(history)
        r = requests.post(f"{url}/users/register",
                          json={"username": name, "email": f"{name}@bench.example", "password": PASSWORD})
        r.raise_for_status()
        token = requests.post(f"{url}/users/login",
                              json={"username_or_email": name, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def create(chunk):
            s = requests.Session()
            for k in chunk:
                start = base + k * 3600
                r = s.post(f"{url}/api/events/", headers=headers,
                           json={"title": f"history {k}", "start_time": iso(start), "end_time": iso(start + 1800),
                                 "category": "history"})
                if r.status_code != 201:
                    raise SystemExit(f"load.py: event {k} of {name}: {r.status_code} {r.text}")

        chunks = [range(i, history, 8) for i in range(8)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(create, chunks))
        held = requests.get(f"{url}/api/events/", headers=headers, params={"category": "history"}).json()
        if len(held) != history:
            raise SystemExit(f"load.py: {name} holds {len(held)} events, not {history}")
        print(name, token, flush=True)


if __name__ == "__main__":
    main()
