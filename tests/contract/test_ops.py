"""Operations over real sockets: /metrics through promtool, the OpenAPI document against the
server's own routing, the /docs and /redoc readers and their local assets, the routing rules,
request limits, slow clients and graceful shutdown."""
import html.parser
import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from clients import raw, read_response
from conftest import ROOT


# ---- helpers -----------------------------------------------------------------------------

def methods(allow):
    return {m.strip() for m in allow.split(",") if m.strip()}


SEGMENT = re.compile(r"^\{([^}:]+)(?::(int|uuid))?\}$")


def pattern_matches(pattern, path):
    """The router's rule for one pattern: exact segments, trailing slash included, typed
    parameters ({x:int} digits, {x:uuid} 8-4-4-4-12 hex, {x} any non-empty segment)."""
    ps, xs = pattern.split("/")[1:], path.split("/")[1:]
    if len(ps) != len(xs):
        return False
    for p, x in zip(ps, xs):
        m = SEGMENT.match(p)
        if not m:
            if p != x:
                return False
        elif m.group(2) == "int":
            if not (x.isdigit() and len(x) <= 19):
                return False
        elif m.group(2) == "uuid":
            if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", x):
                return False
        elif not x:
            return False
    return True


def concrete(pattern, int_value="7", uuid_value="0b3f3c4e-6a55-4c8e-9d1e-2f4a5b6c7d8e", any_value="x7"):
    def one(p):
        m = SEGMENT.match(p)
        if not m:
            return p
        return {"int": int_value, "uuid": uuid_value}.get(m.group(2), any_value)
    return "/".join(one(p) for p in pattern.split("/"))


def doc_routes(doc):
    """(method, pattern, contract, operation) for every route the document lists."""
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for r in op["x-almanac-routes"]:
                out.append((method.upper(), r["pattern"], r["contract"], op))
    return out


@pytest.fixture
def openapi(server):
    r = requests.get(server.url("/openapi.json"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    return json.loads(r.text)


# ---- /metrics ------------------------------------------------------------------------------

def test_metrics_pass_promtool(server):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install the Debian package prometheus (scripts/install-deps.sh)"
    # Give every family some samples: successes, a 404, a 405, a redirect.
    requests.get(server.url("/health/live"))
    requests.get(server.url("/health/ready"))
    requests.get(server.url("/nothing"))
    requests.post(server.url("/metrics"))
    requests.get(server.url("/metrics/"), allow_redirects=False)
    name = f"m{uuid.uuid4().hex[:10]}"
    assert requests.post(server.url("/api/auth/register"),
                         json={"email": f"{name}@example.com", "password": "Metrics-pass-9",
                               "username": name}).status_code == 201   # a write for the memtables
    r = requests.get(server.url("/metrics"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    check = subprocess.run([promtool, "check", "metrics"], input=r.text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"promtool check metrics:\n{check.stdout}{check.stderr}"
    assert 'almanac_http_requests_total{route="(not found)",method="GET",status="404"}' in r.text
    assert 'almanac_http_requests_total{route="(method not allowed)",method="POST",status="405"}' in r.text
    # Memory by what holds it: the heap in use and kept free, the log's memtables.
    values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in r.text.splitlines()
              if line and not line.startswith("#")}
    assert values['almanac_heap_bytes{state="in_use"}'] > 0
    assert values['almanac_heap_bytes{state="free"}'] >= 0
    assert values["almanac_log_buffered_bytes"] > 0          # the registration sits in a memtable
    assert values["almanac_log_buffered_bytes"] < values["process_resident_memory_bytes"]


# ---- /openapi.json -------------------------------------------------------------------------

def test_openapi_is_a_valid_3_1_document(openapi):
    doc = openapi
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "almanac" and re.fullmatch(r"\d+\.\d+\.\d+", doc["info"]["version"])
    tag_names = {t["name"] for t in doc["tags"]}
    operation_ids = set()

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                assert ref.startswith("#/"), ref
                target = doc
                for part in ref[2:].split("/"):
                    assert part in target, f"dangling $ref {ref}"
                    target = target[part]
            for v in node.values():
                resolve(v)
        elif isinstance(node, list):
            for v in node:
                resolve(v)

    resolve(doc)
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        templated = re.findall(r"\{([^}]+)\}", path)
        for method, op in item.items():
            assert method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
            assert op["operationId"] not in operation_ids
            operation_ids.add(op["operationId"])
            assert op["summary"] and op["responses"]
            assert set(op["tags"]) <= tag_names
            path_params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert path_params == templated, (path, method)
            for p in op.get("parameters", []):
                assert p["in"] in {"path", "query"} and "schema" in p
                if p["in"] == "path":
                    assert p["required"] is True
            for status in op["responses"]:
                assert status == "default" or re.fullmatch(r"[1-5]\d\d", status)
            if "requestBody" in op:
                assert "application/json" in op["requestBody"]["content"]
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}


def test_openapi_types_parameters_from_the_patterns(openapi):
    for method, pattern, contract, op in doc_routes(openapi):
        params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "path"}
        names = list(params)
        for i, seg in enumerate(s for s in pattern.split("/") if SEGMENT.match(s)):
            schema = params[names[i]]
            kind = SEGMENT.match(seg).group(2)
            options = schema.get("anyOf", [schema])
            if kind == "int":
                assert {"type": "integer", "format": "int64", "minimum": 0} in options, (pattern, schema)
            elif kind == "uuid":
                assert {"type": "string", "format": "uuid"} in options, (pattern, schema)
            else:
                assert {"type": "string"} in options, (pattern, schema)


def test_openapi_lists_the_operational_routes(openapi):
    listed = {(m, p): (c, op) for m, p, c, op in doc_routes(openapi)}
    for m, p, c in [("GET", "/health", "gather"), ("GET", "/health/live/", "gather"),
                    ("GET", "/metrics", "native"), ("GET", "/openapi.json", "admin"),
                    ("GET", "/docs", "admin"), ("GET", "/redoc", "admin"),
                    ("GET", "/docs/assets/{file}", "admin"),
                    ("GET", "/docs/assets/swagger-init.js", "admin")]:
        assert (m, p) in listed, (m, p)
        contract, op = listed[(m, p)]
        assert contract == c and c in op["tags"]
        assert op["security"] == []
    assert listed[("GET", "/openapi.json")][1]["responses"]["200"]["content"]["application/json"]["schema"]["required"] == [
        "openapi", "info", "paths"]


def test_openapi_security_and_websockets_follow_the_routes(server, openapi):
    for method, pattern, contract, op in doc_routes(openapi):
        if op.get("x-websocket"):
            assert method == "GET" and "101" in op["responses"], pattern
            assert any(p["name"] == "token" and p["in"] == "query" for p in op["parameters"])
        # A route behind a bearer token says so, and refuses a request without one.
        if op["security"] == [{"bearer": []}] and not op.get("x-websocket") and method == "GET":
            path = concrete(pattern)
            r = requests.get(server.url(path), allow_redirects=False)
            assert r.status_code in (401, 403), (pattern, r.status_code, r.text)


def test_openapi_lists_every_route_the_router_has(server, openapi):
    """For each documented route, a request with a method no route has gets 405 whose Allow is
    exactly the documented methods of all patterns matching that path; and every path the
    contracts document that the server routes is in the document."""
    routes = doc_routes(openapi)
    assert len(routes) >= 16
    probes = {concrete(p) for _, p, _, _ in routes}
    # Wrong-typed values: a typed parameter must not take them.
    probes |= {concrete(p, int_value="abc", uuid_value="not-a-uuid") for _, p, _, _ in routes}
    probes |= {concrete(p, int_value="12345678901234567890") for _, p, _, _ in routes}
    # Paths from the five contracts' documents: whichever the server routes must be listed.
    probes |= {
        "/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout",
        "/api/events", "/api/events/3", "/api/events/batch", "/api/notifications", "/api/notifications/ws",
        "/users/register", "/users/login", "/users/me", "/users/password-reset/request",
        "/api/events/", "/api/events/0b3f3c4e-6a55-4c8e-9d1e-2f4a5b6c7d8e", "/api/inbox/", "/ws/sync",
        "/calendars/", "/calendars/3/", "/calendars/3/events/", "/events/3/", "/events/expanded/",
        "/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/users/", "/api/v1/users/3",
        "/api/v1/ws/client-1", "/api/v1/auth/login/", "/api/v1/auth/register/", "/api/v1/auth/refresh/",
        "/api/v1/auth/logout/", "/api/v1/auth/profile/", "/api/v1/events/", "/api/v1/events/3/",
        "/api/v1/tasks/", "/api/v1/voting/", "/ws/events/", "/health/status", "/streams/all",
        "/streams/live", "/streams/event/3",
    }
    checked = 0
    for path in sorted(probes):
        expected = {m for m, p, _, _ in routes if pattern_matches(p, path)}
        status, headers, _ = raw(server, f"PROPFIND {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        if expected:
            assert status == 405, (path, status)
            assert methods(headers["allow"]) == expected, (path, headers["allow"], expected)
            checked += 1
        else:
            assert status in (404, 307), (path, status, headers.get("allow"))
    assert checked >= len({p for _, p, _, _ in routes})


# ---- /docs and /redoc ----------------------------------------------------------------------

class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


def assets_dir():
    return ROOT / "build" / "web" / "node_modules"


@pytest.mark.parametrize("page,marker", [("/docs", "swagger-ui"), ("/redoc", "<redoc spec-url")])
def test_readers_load_only_local_assets(server, page, marker):
    assert (assets_dir() / "swagger-ui-dist").is_dir() and (assets_dir() / "redoc").is_dir(), \
        "the /docs and /redoc assets are not installed: run scripts/install-deps.sh"
    r = requests.get(server.url(page))
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert marker in r.text
    policy = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    links = _Links()
    links.feed(r.text)
    assert "/openapi.json" in links.urls or "/docs/assets/swagger-init.js" in links.urls
    assert len(links.urls) >= 2
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        a = requests.get(server.url(url))
        assert a.status_code == 200, url
        assert len(a.content) > 0
        if url.endswith(".js"):
            assert a.headers["Content-Type"] == "text/javascript; charset=utf-8"
        elif url.endswith(".css"):
            assert a.headers["Content-Type"] == "text/css; charset=utf-8"
        elif url.endswith(".png"):
            assert a.headers["Content-Type"] == "image/png" and a.content[:4] == b"\x89PNG"
        if url.startswith("/docs/assets/"):
            assert a.headers["Cache-Control"] == "public, max-age=86400"
            again = requests.get(server.url(url), headers={"If-None-Match": a.headers["ETag"]})
            assert again.status_code == 304 and again.content == b""
    swagger_init = requests.get(server.url("/docs/assets/swagger-init.js")).text
    assert 'url: "/openapi.json"' in swagger_init and "validatorUrl: null" in swagger_init


def test_asset_bytes_are_the_installed_files(server):
    r = requests.get(server.url("/docs/assets/swagger-ui-bundle.js"))
    assert r.status_code == 200
    assert r.content == (assets_dir() / "swagger-ui-dist" / "swagger-ui-bundle.js").read_bytes()
    r = requests.get(server.url("/docs/assets/redoc.standalone.js"))
    assert r.content == (assets_dir() / "redoc" / "bundles" / "redoc.standalone.js").read_bytes()


def test_assets_cannot_leave_their_list(server):
    for target in ["/docs/assets/package.json", "/docs/assets/..%2Fswagger-ui-dist%2Fpackage.json",
                   "/docs/assets/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/docs/assets/swagger-ui.css%00.js",
                   "/docs/assets/index.html"]:
        status, headers, body = raw(server, f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        assert status == 404, target
        assert json.loads(body) == {"detail": "Not Found"}
    # ".." segments make a different path, which no route has.
    status, _, body = raw(server, b"GET /docs/assets/../../../etc/passwd HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status == 404 and b"root:" not in body


def test_docs_without_assets_say_how_to_install_them(make_server, tmp_path):
    s = make_server("--web-assets", str(tmp_path / "nowhere"))
    for page in ("/docs", "/redoc"):
        r = requests.get(s.url(page))
        assert r.status_code == 503
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "scripts/install-deps.sh" in r.text and "--web-assets" in r.text
        assert str(tmp_path / "nowhere") in r.text
        assert 'href="/openapi.json"' in r.text
    assert "swagger-ui-dist/swagger-ui-bundle.js" in requests.get(s.url("/docs")).text
    assert requests.get(s.url("/openapi.json")).status_code == 200
    assert requests.get(s.url("/docs/assets/swagger-ui.css")).status_code == 404


def test_docs_render_in_a_headless_browser(server, tmp_path):
    """The pages work: a headless browser that can reach only this server renders the
    operations of /openapi.json."""
    browser = shutil.which("chromium")
    assert browser, "chromium not found: install the Debian package chromium (scripts/install-deps.sh)"
    for page, expected in [("/docs", "opblock-summary-path"), ("/redoc", "/openapi.json")]:
        out = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=15000", "--dump-dom", server.url(page)],
            capture_output=True, text=True, timeout=120)
        dom = out.stdout
        assert expected in dom, (page, out.stderr[-2000:])
        assert "/health/live" in dom and "/openapi.json" in dom, page


# ---- routing rules -------------------------------------------------------------------------

def test_a_literal_beats_a_parameter(make_server, tmp_path):
    # /docs/assets/swagger-init.js is its own route; /docs/assets/{file} only serves installed
    # files, so with none installed only the literal route can answer 200.
    s = make_server("--web-assets", str(tmp_path / "nowhere"))
    r = requests.get(s.url("/docs/assets/swagger-init.js"))
    assert r.status_code == 200 and "SwaggerUIBundle" in r.text
    assert requests.get(s.url("/docs/assets/swagger-ui.css")).status_code == 404


def test_typed_parameters_take_only_their_type(server, openapi):
    typed = [(m, p) for m, p, _, _ in doc_routes(openapi) if re.search(r"\{[^}]+:(int|uuid)\}", p)]
    for method, pattern in typed:
        good = concrete(pattern)
        status, headers, _ = raw(server, f"PROPFIND {good} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        assert status == 405 and method in methods(headers["allow"]), pattern
        for bad in {concrete(pattern, int_value="x1", uuid_value="1234"), concrete(pattern, int_value="-1")}:
            expected = {m for m, p, _, _ in doc_routes(openapi) if pattern_matches(p, bad)}
            status, headers, _ = raw(server, f"PROPFIND {bad} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
            got = methods(headers["allow"]) if status == 405 else set()
            assert got == expected, (pattern, bad, status, got)


def test_slash_toggle_redirects_keeping_the_query(server):
    for path, target in [("/metrics/", "/metrics"), ("/openapi.json/", "/openapi.json"), ("/docs/", "/docs")]:
        r = requests.get(server.url(path + "?a=1&b=x%20y"), allow_redirects=False)
        assert r.status_code == 307, path
        assert r.headers["Location"] == target + "?a=1&b=x%20y"
        r = requests.get(server.url(path), allow_redirects=False)
        assert r.status_code == 307 and r.headers["Location"] == target
    r = requests.post(server.url("/openapi.json/?q=1"), allow_redirects=False)
    assert r.status_code == 307 and r.headers["Location"] == "/openapi.json?q=1"
    # Followed, it lands on the route.
    assert requests.get(server.url("/openapi.json/")).json()["openapi"] == "3.1.0"


def test_wrong_method_is_405_with_allow_in_the_owners_shape(server):
    r = requests.post(server.url("/openapi.json"))
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert r.json() == {"detail": "Method Not Allowed"}
    r = requests.delete(server.url("/health/ready"))
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert r.json()["error"] == "method_not_allowed" and r.json()["message"] == "Method Not Allowed"


def test_not_found_in_the_shape_of_the_prefix_owner(server):
    r = requests.get(server.url("/api/events/1/nope"))           # collab
    assert r.status_code == 404
    assert r.json()["detail"]["code"] == "NOT_FOUND" and r.json()["detail"]["message"] == "Not Found"
    r = requests.get(server.url("/api/v1/tasks/1/nope/more"))    # gather
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "not_found" and body["timestamp"].endswith("Z")
    for path in ["/users/nope/x", "/docs/nope/x", "/nothing/at/all", "/streams/x/y/z"]:
        r = requests.get(server.url(path))
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}, path


# ---- limits --------------------------------------------------------------------------------

def test_oversized_body_is_413_in_the_owners_shape(server):
    big = 2 << 20
    for path, check in [
        ("/api/events", lambda b: b["detail"]["code"] == "PAYLOAD_TOO_LARGE"),
        ("/health/live", lambda b: b["error"] == "payload_too_large"),
        ("/openapi.json", lambda b: b["detail"].startswith("Request body exceeds the limit of 1048576 bytes")),
    ]:
        # Only the headers: the server must answer from the declared length alone.
        status, headers, body = raw(server, (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                             f"Content-Length: {big}\r\n\r\n").encode())
        assert status == 413, path
        assert headers["connection"] == "close"
        assert check(json.loads(body)), (path, body)
    assert requests.get(server.url("/health/live")).status_code == 200


def test_huge_headers_are_431(server):
    status, headers, body = raw(server, b"GET /health/live HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert status == 431
    assert json.loads(body)["error"] == "request_header_fields_too_large" or "exceed" in json.loads(body)["message"]
    status, headers, body = raw(server, b"GET /openapi.json HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert status == 431
    assert json.loads(body)["detail"] == "Request headers exceed the limit of 16384 bytes"


def test_slow_clients_are_cut_off_and_hold_no_thread(make_server):
    s = make_server("--threads", "1", "--read-timeout", "2", "--idle-timeout", "2")
    host, port = s.host_port.split(":")
    stop = threading.Event()
    closed_after = []

    def trickle():
        # One byte every 0.2 s: a header that never ends, each byte just in time for a
        # per-read timeout. The whole request has to arrive within the read timeout.
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        started = time.time()
        try:
            while not stop.is_set() and time.time() - started < 15:
                sock.sendall(b"a")
                time.sleep(0.2)
        except OSError:
            closed_after.append(time.time() - started)
        finally:
            sock.close()

    slow = [threading.Thread(target=trickle) for _ in range(20)]
    for t in slow:
        t.start()
    time.sleep(0.5)
    # Meanwhile the one IO thread answers everyone else at once.
    for _ in range(20):
        t0 = time.time()
        assert requests.get(s.url("/health/live"), timeout=5).status_code == 200
        assert time.time() - t0 < 1.0
    for t in slow:
        t.join(timeout=20)
    stop.set()
    assert len(closed_after) == 20, closed_after
    assert all(1.5 < c < 6 for c in closed_after), closed_after


def test_sigterm_finishes_the_request_in_flight(make_server, tmp_path):
    data = tmp_path / "graceful"
    s = make_server(data_dir=data)
    name = "graceful_" + uuid.uuid4().hex[:8]
    body = json.dumps({"username": name, "email": f"{name}@example.com", "password": "correct horse 42"}).encode()
    host, port = s.host_port.split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(b"POST /users/register HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    # The server is stopping: it takes no new connection...
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2)
    # ...but finishes the request it is reading.
    sock.sendall(body[10:])
    status, headers, reply = read_response(sock)
    sock.close()
    assert status == 200, reply
    assert json.loads(reply)["username"] == name
    assert headers["connection"] == "close"
    code, err = s.stop()
    assert code == 0 and "stopped cleanly" in err
    # The acknowledged registration is durable: the user logs in after a restart.
    again = make_server(data_dir=data)
    r = requests.post(again.url("/users/login"), json={"username_or_email": name, "password": "correct horse 42"})
    assert r.status_code == 200 and r.json()["access_token"]


def test_connections_beyond_the_limit_are_closed_and_the_others_keep_their_service(make_server):
    s = make_server("--max-connections", "8", "--idle-timeout", "30")
    host, port = s.host_port.split(":")
    idle = [socket.create_connection((host, int(port))) for _ in range(8)]
    time.sleep(0.3)  # every one accepted and counted
    extra = socket.create_connection((host, int(port)))
    extra.settimeout(5)
    extra.sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
    try:
        assert extra.recv(100) == b""  # closed without an answer
    except ConnectionResetError:
        pass
    extra.close()
    # One of the eight asks and is answered; when two go away, new clients get in.
    idle[0].sendall(b"GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n")
    assert idle[0].recv(100).startswith(b"HTTP/1.1 200")
    for sock in idle[:2]:
        sock.close()
    time.sleep(0.3)
    assert requests.get(s.url("/health/live"), timeout=5).status_code == 200
    for sock in idle[2:]:
        sock.close()
