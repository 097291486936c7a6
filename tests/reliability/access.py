#!/usr/bin/python3
"""Nobody reads or changes what is not theirs, and no bad token gets in.

User A creates one of everything that has an id:
- a private collab event and a notification about it;
- an mcal calendar and an event in it;
- a gathering, with a task and a poll;
- a flowstate event and an inbox item.
A's own account is the target of the user-administration routes.
User B then calls every route of /openapi.json that takes an id, on A's ids,
with a body that would be valid. Each call must be refused (401, 403 or 404;
a 400 or 422 is counted apart, as it says nothing about access) and must not
move the log. The exceptions are what the design makes public to every
signed-in user: reading a gathering, its tasks and polls, and joining it (and
leaving it again).

Tokens are tried against one protected route of each contract:
- an expired token, signed with the server's key;
- a token signed with another key;
- `alg: none`;
- a refresh token used as an access token, and an access token used to
  refresh;
- a token whose session was ended by logout.
Each must get a 401.

Prints a summary; exits 1 on any failure.
Usage: tests/reliability/access.py [--almanac PATH]."""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import tempfile
import time

import requests

from crash import Ledger, Worker
from harness import Server

# What B may do with A's things: gatherings are public to signed-in users.
PUBLIC = {("get", "/api/v1/events/{id}/"), ("post", "/api/v1/events/{id}/join/"), ("post", "/api/v1/events/{id}/leave/"),
          ("get", "/api/v1/tasks/{id}/"), ("get", "/api/v1/voting/{id}/"), ("get", "/api/v1/voting/{id}/results/")}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims, key, alg="HS256"):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    if alg == "none":
        return f"{head}.{body}."
    mac = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def sample(schema):
    """A value that fits `schema`, for bodies that pass validation."""
    if "anyOf" in schema:
        return sample(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    t = schema.get("type")
    if t == "string":
        if schema.get("format") == "date-time":
            return "2031-01-01T10:00:00Z"
        if schema.get("format") == "date":
            return "2031-01-01"
        return "hijack"
    if t == "integer":
        return max(1, schema.get("minimum", 1))
    if t == "number":
        return 1
    if t == "boolean":
        return False
    if t == "array":
        return [sample(schema.get("items", {"type": "string"}))] * max(1, schema.get("minItems", 1))
    if t == "object":
        return {k: sample(v) for k, v in schema.get("properties", {}).items()}
    return "x"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--almanac", default="build/release/almanac", help="the server binary (default build/release/almanac)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="almanac-access-")
    data = f"{work}/data"
    server = Server(args.almanac, data).start()
    base = server.base
    failures, refused, validation_first, allowed = [], {}, [], 0
    s = requests.Session()

    def head():
        return int(re.search(r"^almanac_log_head_position (\d+)", s.get(f"{base}/metrics").text, re.M).group(1))

    try:
        a, b, c = (Worker(i, Ledger()) for i in range(3))
        for w in (a, b, c):
            w.setup(base)
        # A's things.
        event = s.post(f"{base}/api/events", headers=a.collab, json={
            "title": "A's", "start_time": "2031-01-01T10:00:00Z", "end_time": "2031-01-01T11:00:00Z"}).json()["id"]
        c_user, a_user = c.collab_id, a.collab_id
        s.post(f"{base}/api/events/{event}/share", headers=a.collab, json={"user_id": c_user, "role": "EDITOR"}).raise_for_status()
        s.put(f"{base}/api/events/{event}", headers=c.collab, json={"title": "edited by C"}).raise_for_status()
        note = s.get(f"{base}/api/notifications", headers=a.collab).json()["items"][0]["id"]
        r = s.post(f"{base}/calendars/{a.calendar}/events/", headers=a.mcal, json={
            "title": "A's", "description": None, "start_time": "2031-01-01T10:00:00", "end_time": "2031-01-01T11:00:00",
            "is_all_day": False, "repeat_frequency": "none", "repeat_until": None})
        r.raise_for_status()
        mcal_event = r.json()["id"]
        gathering = s.post(f"{base}/api/v1/events/", headers=a.gather, json={
            "title": "A's", "description": "", "date": "2031-06-01T12:00:00Z", "location": ""}).json()["id"]
        r = s.post(f"{base}/api/v1/tasks/", headers=a.gather, json={"event": gathering, "title": "A's task"})
        r.raise_for_status()
        task = r.json()["id"]
        r = s.post(f"{base}/api/v1/voting/", headers=a.gather, json={
            "event": gathering, "title": "A's poll", "options": [{"text": "one"}, {"text": "two"}], "ends_at": "2031-05-01T12:00:00Z"})
        r.raise_for_status()
        poll = r.json()["id"]

        r = s.post(f"{base}/api/events/", headers=a.mcal, json={
            "title": "A's", "start_time": "2031-02-01T10:00:00Z", "end_time": "2031-02-01T11:00:00Z"})
        r.raise_for_status()
        flow_event = r.json()["id"]
        r = s.post(f"{base}/api/inbox/", headers=a.mcal, json={"content": "A's"})
        r.raise_for_status()
        inbox_item = r.json()["id"]

        def id_for(contract, path, name):
            if contract == "flowstate":
                return {"event_id": flow_event, "item_id": inbox_item}.get(name, 1)
            if contract == "admin":
                return {"user_id": a.collab_id}.get(name, 1)
            if contract == "collab":
                return {"event_id": event, "user_id": a_user, "notification_id": note}.get(name, 1)
            if contract == "mcal":
                return {"calendar_id": a.calendar, "event_id": mcal_event}.get(name, 1)
            if contract == "gather":
                return task if "/tasks/" in path else poll if "/voting/" in path else gathering
            if path.startswith("/streams/"):
                return {"category": "event", "id": event}[name]
            return 1

        tokens = {"collab": b.collab, "gather": b.gather, "mcal": b.mcal, "native": b.mcal,
                  "flowstate": b.mcal, "admin": b.collab}
        spec = s.get(f"{base}/openapi.json").json()
        tried = 0
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete") or "{" not in path:
                    continue
                if not op.get("security"):
                    continue  # public by declaration (docs assets, media by hash)
                contract = (op.get("tags") or ["native"])[0]
                real = path
                for q in [q for q in op.get("parameters", []) if q["in"] == "path"]:
                    real = real.replace("{%s}" % q["name"], str(id_for(contract, path, q["name"])))
                schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                body = sample(schema) if schema else None
                before = head()
                r = s.request(method, base + real, headers=tokens[contract], json=body, allow_redirects=False)
                tried += 1
                where = f"{method.upper()} {real}"
                if (method, path) in PUBLIC:
                    allowed += 1
                    if r.status_code >= 500:
                        failures.append(f"{where}: {r.status_code}")
                    continue
                if r.status_code in (401, 403, 404, 426):  # 426: a WebSocket route serves no HTTP
                    refused[r.status_code] = refused.get(r.status_code, 0) + 1
                elif r.status_code in (400, 422):
                    validation_first.append(f"{where}: {r.status_code} {r.text[:100]}")
                else:
                    failures.append(f"{where} as another user: {r.status_code} {r.text[:160]}")
                if head() != before:
                    failures.append(f"{where} as another user moved the log")
        # A's things are as A left them.
        if s.get(f"{base}/api/events/{event}", headers=a.collab).json()["title"] != "edited by C":
            failures.append("A's collab event changed")
        if s.get(f"{base}/api/v1/events/{gathering}/", headers=a.gather).json()["title"] != "A's":
            failures.append("A's gathering changed")

        # Tokens.
        key = open(f"{data}/jwt.key", "rb").read()
        access = b.collab["Authorization"].split()[1]
        good = claims_of(access)
        # The control: the same claims signed the same way are accepted, so the
        # expired token below is refused for its expiry and nothing else.
        r = s.get(f"{base}/api/events", headers={"Authorization": f"Bearer {sign(good, key)}"})
        if r.status_code != 200:
            failures.append(f"a token re-signed with the server's key was refused ({r.status_code}): the forgeries prove nothing")
        forged = {
            "expired": sign({**good, "exp": int(time.time()) - 60}, key),
            "signed with another key": sign(good, os.urandom(32)),
            "alg none": sign(good, key, alg="none"),
            "garbage": "not.a.token",
        }
        forged["a refresh token as access"] = b.collab_refresh
        probes = {"collab": "/api/events", "gather": "/api/v1/events/", "mcal": "/calendars/", "identity": "/users/me",
                  "flowstate": "/api/inbox/", "admin": f"/api/v1/users/{b.collab_id}"}
        token_results = {}
        for what, token in forged.items():
            for contract, route in probes.items():
                r = s.get(base + route, headers={"Authorization": f"Bearer {token}"})
                token_results[f"{what} on {contract}"] = r.status_code
                if r.status_code != 401:
                    failures.append(f"{what} token on {route}: {r.status_code} {r.text[:120]}")
        r = s.post(f"{base}/api/auth/refresh", headers={"Authorization": f"Bearer {access}"})
        token_results["an access token to refresh"] = r.status_code
        if r.status_code != 401:
            failures.append(f"access token accepted by /api/auth/refresh: {r.status_code}")
        s.post(f"{base}/api/auth/logout", headers=b.collab)
        for contract, route in probes.items():
            r = s.get(base + route, headers=b.collab)
            token_results[f"after logout on {contract}"] = r.status_code
            if r.status_code != 401:
                failures.append(f"a token of an ended session on {route}: {r.status_code}")
        summary = {"id_routes_tried": tried, "refused": refused, "public_by_design": allowed,
                   "refused_by_validation_first": len(validation_first), "token_cases": len(token_results),
                   "failures": len(failures)}
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("access: " + json.dumps(summary))
    for f in failures[:60]:
        print("access: " + f, file=sys.stderr)
    for v in validation_first:
        print("access: validation before access: " + v)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({**summary, "failure_list": failures, "validation_first": validation_first,
                       "tokens": token_results}, out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
