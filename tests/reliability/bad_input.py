#!/usr/bin/python3
"""Bad input over every route of /openapi.json: a clear 4xx, never a 500 or a hang.

For every operation the server describes, the script sends malformed bodies, for
the operations that take one. These are:
- a body that is not JSON, a JSON list, JSON nested 100,000 deep, and a body
  of 10 MB;
- each property with the wrong type, each required property missing, and
  numbers too large for 64 bits or below a declared minimum;
- invalid UTF-8, and dates and time zones that do not exist.
It also sends path ids of other types (words, negatives, 30 digits, UUIDs) and
query values of the wrong type. A path id of another type may select another
contract's route (collab's integer ids and flowstate's UUIDs share
`/api/events/`), so those answers may be in any contract's shape. Each request goes with a valid bearer token
of the operation's contract, so the input itself is what is judged.

Every malformed body must get a 4xx in its contract's error shape, and the log
head (`almanac_log_head_position` on /metrics) must not move. Path and query
mutations must never get a 5xx; they may get a 2xx where the contract reads a
bad query value as its default. No answer may take longer than the timeout.

Prints a summary; exits 1 on any failure.
Usage: tests/reliability/bad_input.py [--almanac PATH] [--timeout S]."""
import argparse
import json
import re
import shutil
import sys
import tempfile
import time

import requests

from harness import Server

TEN_MB = 10 * 1024 * 1024


def shape_ok(contract, status, body):
    """The contract's error shape (docs/contracts/<name>.md)."""
    if status in (405,) and body is None:
        return True
    if not isinstance(body, dict):
        return False
    if contract is None:  # a mutated path may be another contract's route (an int id turned UUID)
        return any(shape_ok(c, status, body) for c in ("collab", "gather", "mcal"))
    if contract == "collab":
        d = body.get("detail")
        return isinstance(d, dict) and isinstance(d.get("code"), str) and isinstance(d.get("message"), str)
    if contract == "gather":
        return {"error", "message", "details", "timestamp"} <= set(body)
    return "detail" in body  # the FastAPI styles: mcal, flowstate, admin, native


class Sweep:
    def __init__(self, base, timeout):
        self.base, self.timeout = base, timeout
        self.s = requests.Session()
        self.results = {"requests": 0, "body_refused": 0, "other_ok": 0, "statuses": {}}
        self.failures = []

    def head(self):
        text = self.s.get(f"{self.base}/metrics", timeout=self.timeout).text
        return int(re.search(r"^almanac_log_head_position (\d+)", text, re.M).group(1))

    def send(self, method, url, headers, data):
        self.results["requests"] += 1
        started = time.time()
        try:
            r = self.s.request(method, url, headers=headers, data=data, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as e:
            return None, f"no answer within {self.timeout} s ({type(e).__name__})", time.time() - started
        codes = self.results["statuses"]
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = "not json"
        return (r.status_code, body), None, time.time() - started

    def must_refuse(self, contract, method, url, headers, data, what):
        before = self.head()
        got, err, _ = self.send(method, url, headers, data)
        where = f"{method.upper()} {url[len(self.base):][:80]} {what}"
        if err:
            self.failures.append(f"{where}: {err}")
            return
        status, body = got
        if not 400 <= status < 500:
            self.failures.append(f"{where}: {status} {str(body)[:160]}")
        elif not shape_ok(contract, status, body):
            self.failures.append(f"{where}: {status} not in {contract}'s shape: {str(body)[:160]}")
        else:
            self.results["body_refused"] += 1
        if self.head() != before:
            self.failures.append(f"{where}: the log moved ({before} -> {self.head()})")

    def must_not_fail(self, method, url, headers, what):
        got, err, _ = self.send(method, url, headers, None)
        where = f"{method.upper()} {url[len(self.base):][:80]} {what}"
        if err:
            self.failures.append(f"{where}: {err}")
        elif got[0] >= 500:
            self.failures.append(f"{where}: {got[0]} {str(got[1])[:160]}")
        else:
            self.results["other_ok"] += 1


def wrong_value(schema):
    """A value of the wrong type for `schema` (None when every type is allowed)."""
    types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    if "string" in types:
        return 12345 if "integer" not in types and "number" not in types else {"an": "object"}
    if "integer" in types or "number" in types:
        return "not a number"
    if "boolean" in types:
        return "maybe"
    if "array" in types:
        return "not a list"
    if "object" in types:
        return ["not", "an", "object"]
    return None


def typed(schema, t):
    return schema.get("type") == t or any(s.get("type") == t for s in schema.get("anyOf", []))


def body_mutations(schema):
    """(what, raw bytes) pairs, every one of which the route must refuse."""
    j = lambda v: json.dumps(v).encode()
    props = schema.get("properties", {})
    required = schema.get("required", [])
    valid_ish = {name: "x" for name in required}
    out = [("not JSON", b"{not json"), ("a JSON list", b"[]"),
           ("nested 100,000 deep", b"[" * 100000 + b"]" * 100000),
           ("10 MB", b'{"title": "' + b"x" * TEN_MB + b'"}')]
    for name in required:
        out.append((f"without {name}", j({k: v for k, v in valid_ish.items() if k != name})))
    for name, p in props.items():
        bad = wrong_value(p)
        if bad is not None:
            out.append((f"{name} of the wrong type", j({**valid_ish, name: bad})))
        if typed(p, "integer"):
            out.append((f"{name} = 2**70", j({**valid_ish, name: 2 ** 70})))
            out.append((f"{name} = 1e400", b'{"%s": 1e400}' % name.encode()))
            if p.get("minimum", -1) >= 0:
                out.append((f"{name} = -1", j({**valid_ish, name: -1})))
        if typed(p, "string") and p.get("format") in ("date-time", "date"):
            out.append((f"{name} not a date", j({**valid_ish, name: "2024-13-45T25:61:00Z"})))
            out.append((f"{name} with a zone that does not exist", j({**valid_ish, name: "2024-01-01T10:00:00+25:00"})))
        if typed(p, "string") and name in required:
            out.append((f"{name} invalid UTF-8", b'{"%s": "\xff\xfe\xfa"}' % name.encode()))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds an answer may take (default 10)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="almanac-bad-input-")
    server = Server(args.almanac, f"{work}/data").start()
    base = server.base
    try:
        from crash import Ledger, Worker
        w = Worker(0, Ledger())
        w.setup(base)
        tokens = {"collab": w.collab, "gather": w.gather, "mcal": w.mcal, "native": w.mcal,
                  "flowstate": w.mcal, "admin": w.mcal}
        # Real objects, so that id routes reach their handlers.
        r = requests.post(f"{base}/api/events", headers=w.collab, timeout=30,
                          json={"title": "t", "start_time": "2030-01-01T10:00:00Z", "end_time": "2030-01-01T11:00:00Z"})
        collab_event = r.json()["id"]
        r = requests.post(f"{base}/api/v1/events/", headers=w.gather, timeout=30,
                          json={"title": "t", "description": "", "date": "2030-06-01T12:00:00Z", "location": ""})
        gathering = r.json()["id"]
        ids = {("collab", "event_id"): collab_event, ("gather", "id"): gathering, ("mcal", "calendar_id"): w.calendar}

        spec = requests.get(f"{base}/openapi.json", timeout=30).json()
        sweep = Sweep(base, args.timeout)
        operations = 0
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                contract = (op.get("tags") or ["native"])[0]
                headers = dict(tokens.get(contract, {}))
                params = [q for q in op.get("parameters", []) if q["in"] == "path"]
                real = path
                for q in params:
                    real = real.replace("{%s}" % q["name"], str(ids.get((contract, q["name"]), 1)))
                operations += 1
                content = op.get("requestBody", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                if schema and schema.get("type") == "object":
                    for what, raw in body_mutations(schema):
                        sweep.must_refuse(contract, method, base + real, {**headers, "Content-Type": "application/json"}, raw, what)
                for q in params:
                    for bad in ("abc", "-1", "9" * 30, "00000000-0000-0000-0000-000000000000", "%00", "..%2F..%2Fetc"):
                        mutated = path
                        for other in params:
                            value = bad if other is q else str(ids.get((contract, other["name"]), 1))
                            mutated = mutated.replace("{%s}" % other["name"], value)
                        if method == "get":
                            sweep.must_not_fail(method, base + mutated, headers, f"{q['name']}={bad}")
                        else:
                            sweep.must_refuse(None, method, base + mutated, {**headers, "Content-Type": "application/json"},
                                              b"{}", f"{q['name']}={bad}")
                if method == "get":
                    for q in op.get("parameters", []):
                        if q["in"] != "query":
                            continue
                        for bad in ("abc", "-1", "9" * 30, "2024-13-45T25:61:00+25:00", "\u00ff\u00fe"):
                            sweep.must_not_fail(method, base + real + ("&" if "?" in real else "?") +
                                                f"{q['name']}={requests.utils.quote(bad)}", headers, f"?{q['name']}={bad}")
        summary = {"operations": operations, **sweep.results, "failures": len(sweep.failures)}
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("bad_input: " + json.dumps(summary))
    for f in sweep.failures[:60]:
        print("bad_input: " + f, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({**summary, "failure_list": sweep.failures}, out)
    return 1 if sweep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
