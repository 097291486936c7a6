"""Authentication routes of collab, flowstate, admin and gather over one identity, against the real binary."""
import re
import uuid

import msgpack
import requests

from clients import Client, bearer

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def me(server, token):
    return Client(server, token).get("/users/me")


def gather_register(server, username="gina", email="gina@example.com", password="gatherpass1", **extra):
    body = {"username": username, "email": email, "password": password,
            "first_name": "Gina", "last_name": "Garcia", **extra}
    return requests.post(server.url("/api/v1/auth/register/"), json=body)


def assert_gather_error(body, error):
    assert set(body) == {"error", "message", "details", "timestamp"}
    assert body["error"] == error
    assert UTC_RE.match(body["timestamp"])


# ---- collab -----------------------------------------------------------------------

def test_collab_register_login_refresh_logout(server):
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": "user@example.com", "password": "securepass", "username": "username"})
    assert r.status_code == 201
    body = r.json()
    assert list(body) == ["id", "email", "username", "created_at"]
    assert body["id"] == 1 and body["email"] == "user@example.com" and body["username"] == "username"
    assert UTC_RE.match(body["created_at"])

    # The document's form login, by email.
    r = requests.post(server.url("/api/auth/login"),
                      data="username=user@example.com&password=securepass",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    tokens = r.json()
    assert list(tokens) == ["access_token", "refresh_token", "token_type"]
    assert tokens["token_type"] == "bearer"
    assert me(server, tokens["access_token"]).json()["username"] == "username"

    # Refresh rotates: each answer carries the next refresh token.
    refresh = tokens["refresh_token"]
    for _ in range(2):
        r = requests.post(server.url("/api/auth/refresh"), headers=bearer(refresh))
        assert r.status_code == 200
        assert list(r.json()) == ["access_token", "refresh_token", "token_type"]
        assert r.json()["token_type"] == "bearer" and r.json()["refresh_token"] != refresh
        assert me(server, r.json()["access_token"]).status_code == 200
        refresh = r.json()["refresh_token"]
    refreshed_access = r.json()["access_token"]

    # An access token is not a refresh token.
    r = requests.post(server.url("/api/auth/refresh"), headers=bearer(tokens["access_token"]))
    assert r.status_code == 401 and r.json()["detail"]["code"] == "UNAUTHORIZED"

    r = requests.post(server.url("/api/auth/logout"), headers=bearer(tokens["access_token"]))
    assert r.status_code == 204 and r.content == b""
    # Every token of the session stops working at once.
    assert me(server, tokens["access_token"]).status_code == 401
    assert me(server, refreshed_access).status_code == 401
    r = requests.post(server.url("/api/auth/refresh"), headers=bearer(tokens["refresh_token"]))
    assert r.status_code == 401
    r = requests.post(server.url("/api/auth/logout"), headers=bearer(tokens["access_token"]))
    assert r.status_code == 401


def test_collab_errors(server):
    r = requests.post(server.url("/api/auth/register"), json={"email": "a@example.com", "password": "securepass"})
    assert r.status_code == 400
    assert r.json() == {"detail": {"code": "VALIDATION_ERROR", "message": "Validation error",
                                   "errors": [{"field": "username", "message": "Field required"}]}}
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": "a@example.com", "password": "short", "username": "a"})
    assert r.status_code == 400
    assert r.json()["detail"]["errors"] == [{"field": "password", "message": "Password must be at least 8 characters"}]
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": "not-an-email", "password": "securepass", "username": "a"})
    assert r.status_code == 400
    assert r.json()["detail"]["errors"][0]["field"] == "email"

    ok = {"email": "a@example.com", "password": "securepass", "username": "a"}
    assert requests.post(server.url("/api/auth/register"), json=ok).status_code == 201
    r = requests.post(server.url("/api/auth/register"), json={**ok, "email": "other@example.com"})
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "CONFLICT"
    assert r.json()["detail"]["errors"][0]["field"] == "username"
    r = requests.post(server.url("/api/auth/register"), json={**ok, "username": "b", "email": "A@EXAMPLE.COM"})
    assert r.status_code == 409 and r.json()["detail"]["errors"][0]["field"] == "email"

    for form in ({"username": "a", "password": "wrongpass"}, {"username": "nobody", "password": "securepass"}):
        r = requests.post(server.url("/api/auth/login"), data=form)
        assert r.status_code == 401
        assert r.json() == {"detail": {"code": "UNAUTHORIZED", "message": "Invalid credentials"}}
    r = requests.post(server.url("/api/auth/logout"))
    assert r.status_code == 401
    assert r.json() == {"detail": {"code": "UNAUTHORIZED", "message": "Not authenticated"}}


# ---- flowstate --------------------------------------------------------------------

def test_flowstate_register_login_me(server):
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "flo@example.com", "password": "flowpass1"})
    assert r.status_code == 200
    user = r.json()
    assert list(user) == ["id", "username", "email"]
    assert UUID_RE.match(user["id"]) and user["username"] == "flo" and user["email"] == "flo@example.com"

    for login in ("flo", "flo@example.com", "FLO@example.com"):
        r = requests.post(server.url("/users/login"), json={"username_or_email": login, "password": "flowpass1"})
        assert r.status_code == 200
        assert list(r.json()) == ["access_token", "token_type"] and r.json()["token_type"] == "bearer"
    token = r.json()["access_token"]

    r = requests.post(server.url("/users/login"), json={"username_or_email": "flo", "password": "wrongpass"})
    assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}
    r = requests.post(server.url("/users/login"), json={"username_or_email": "ghost", "password": "flowpass1"})
    assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}

    r = requests.get(server.url("/users/me"))
    assert r.status_code == 403 and r.json() == {"detail": "Not authenticated"}
    r = me(server, "not-a-token")
    assert r.status_code == 401 and r.json() == {"detail": "Could not validate credentials"}
    r = me(server, token)
    assert r.status_code == 200 and r.json() == user
    etag = r.headers["ETag"]
    assert re.match(r'^"\d+"$', etag)

    r = requests.put(server.url("/users/me"), headers={**bearer(token), "If-Match": etag},
                     json={"username": "flora"})
    assert r.status_code == 200
    assert r.json() == {**user, "username": "flora"}
    new_etag = r.headers["ETag"]
    assert new_etag != etag and me(server, token).headers["ETag"] == new_etag

    # A stale If-Match changes nothing.
    r = requests.put(server.url("/users/me"), headers={**bearer(token), "If-Match": etag},
                     json={"email": "elsewhere@example.com"})
    assert r.status_code == 412
    assert me(server, token).json()["email"] == "flo@example.com"


def test_flowstate_errors(server):
    r = requests.post(server.url("/users/register"), json={"username": "flo", "email": "flo@example.com"})
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "password"], "msg": "Field required", "type": "missing"}],
                        "message": "Validation Error"}
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "flo@example.com", "password": 12345678})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_type"
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "flo@example.com", "password": "short"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "password"]
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "nope", "password": "flowpass1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]

    assert requests.post(server.url("/users/register"),
                         json={"username": "flo", "email": "flo@example.com", "password": "flowpass1"}).ok
    r = requests.post(server.url("/users/register"),
                      json={"username": "flo", "email": "x@example.com", "password": "flowpass1"})
    assert r.status_code == 409 and r.json() == {"detail": "Username or email already exists"}
    r = requests.post(server.url("/users/register"),
                      json={"username": "x", "email": "Flo@Example.com", "password": "flowpass1"})
    assert r.status_code == 409 and r.json() == {"detail": "Username or email already exists"}

    # Conflicts on update are 409 too.
    assert requests.post(server.url("/users/register"),
                         json={"username": "other", "email": "other@example.com", "password": "flowpass1"}).ok
    token = requests.post(server.url("/users/login"),
                          json={"username_or_email": "other", "password": "flowpass1"}).json()["access_token"]
    r = requests.put(server.url("/users/me"), headers=bearer(token), json={"username": "flo"})
    assert r.status_code == 409 and r.json() == {"detail": "Username already exists"}
    r = requests.put(server.url("/users/me"), headers=bearer(token), json={"email": 5})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "email"]
    r = requests.put(server.url("/users/me"), json={"username": "z"})
    assert r.status_code == 403


# ---- admin ------------------------------------------------------------------------

def test_admin_register_and_login(server):
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "user@example.com", "username": "adminuser", "password": "password",
                            "full_name": "Admin User"})
    assert r.status_code == 200
    assert list(r.json()) == ["access_token", "token_type"] and r.json()["token_type"] == "bearer"
    assert me(server, r.json()["access_token"]).json()["username"] == "adminuser"

    # The document's examples: form login (Python and curl), and JSON.
    r = requests.post(server.url("/api/v1/auth/login"), data={"username": "adminuser", "password": "password"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    r = requests.post(server.url("/api/v1/auth/login"), json={"username": "user@example.com", "password": "password"})
    assert r.status_code == 200
    assert me(server, r.json()["access_token"]).status_code == 200

    r = requests.post(server.url("/api/v1/auth/login"), json={"username": "adminuser", "password": "wrong-one"})
    assert r.status_code == 401 and r.json() == {"detail": "Incorrect username or password"}
    r = requests.post(server.url("/api/v1/auth/login"), json={"username": "adminuser"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "password"]

    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "new@example.com", "username": "adminuser", "password": "password"})
    assert r.status_code == 400 and r.json() == {"detail": "Username already registered"}
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "user@example.com", "username": "fresh", "password": "password"})
    assert r.status_code == 400 and r.json() == {"detail": "Email already registered"}
    r = requests.post(server.url("/api/v1/auth/register"),
                      json={"email": "bad", "username": "fresh", "password": "password"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body", "email"], "msg": "value is not a valid email address",
                                   "type": "value_error.email"}]


# ---- gather -----------------------------------------------------------------------

def test_gather_register_login_profile(server):
    r = gather_register(server)
    assert r.status_code == 201
    body = r.json()
    assert list(body) == ["access", "refresh", "user"]
    user = body["user"]
    assert list(user) == ["id", "username", "email", "first_name", "last_name", "date_joined"]
    assert user["id"] == 1 and user["username"] == "gina" and user["first_name"] == "Gina"
    assert UTC_RE.match(user["date_joined"])

    r = requests.post(server.url("/api/v1/auth/login/"), json={"username": "gina", "password": "gatherpass1"})
    assert r.status_code == 200
    login = r.json()
    assert list(login) == ["access", "refresh", "user"]
    assert login["user"] == {"id": 1, "username": "gina", "email": "gina@example.com",
                             "first_name": "Gina", "last_name": "Garcia"}

    r = requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(login["access"]))
    assert r.status_code == 200
    profile = r.json()
    assert list(profile) == ["id", "username", "email", "first_name", "last_name", "bio", "avatar",
                             "date_joined", "last_login"]
    assert profile["bio"] == "" and profile["avatar"] is None and UTC_RE.match(profile["last_login"])
    assert "ETag" in r.headers

    r = requests.put(server.url("/api/v1/auth/profile/"), headers=bearer(login["access"]),
                     json={"first_name": "Georgina", "bio": "Plans picnics", "avatar": "avatars/gina.png"})
    assert r.status_code == 200
    updated = r.json()
    assert list(updated) == ["id", "username", "email", "first_name", "last_name", "bio", "avatar", "date_joined"]
    assert updated["first_name"] == "Georgina" and updated["last_name"] == "Garcia"
    assert updated["bio"] == "Plans picnics" and updated["avatar"] == "avatars/gina.png"
    again = requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(login["access"])).json()
    assert again["first_name"] == "Georgina" and again["bio"] == "Plans picnics"

    r = requests.put(server.url("/api/v1/auth/profile/"), headers=bearer(login["access"]), json={"bio": 3})
    assert r.status_code == 400
    assert_gather_error(r.json(), "validation_error")
    assert r.json()["details"] == {"bio": ["Not a valid string."]}

    r = requests.get(server.url("/api/v1/auth/profile/"))
    assert r.status_code == 401
    assert_gather_error(r.json(), "not_authenticated")

    r = requests.post(server.url("/api/v1/auth/logout/"), headers=bearer(login["access"]), json={"refresh": 7})
    assert r.status_code == 400 and r.json()["details"] == {"refresh": ["Not a valid string."]}
    r = requests.post(server.url("/api/v1/auth/logout/"), headers=bearer(login["access"]),
                      json={"refresh": login["refresh"]})
    assert r.status_code == 200 and r.json() == {"message": "Successfully logged out"}
    assert requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(login["access"])).status_code == 401
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": login["refresh"]})
    assert r.status_code == 401
    # The registration's own session is still open.
    assert requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(body["access"])).status_code == 200


def test_gather_errors(server):
    r = requests.post(server.url("/api/v1/auth/register/"), json={"username": "gina", "email": "gina@example.com"})
    assert r.status_code == 400
    assert_gather_error(r.json(), "validation_error")
    assert r.json()["details"] == {"password": ["This field is required."]}

    assert gather_register(server).status_code == 201
    r = gather_register(server, email="other@example.com")
    assert r.status_code == 409
    assert_gather_error(r.json(), "conflict")
    assert r.json()["details"] == {"username": ["A user with that username already exists."]}
    r = gather_register(server, username="other", email="GINA@example.com")
    assert r.status_code == 409 and "email" in r.json()["details"]

    r = requests.post(server.url("/api/v1/auth/login/"), json={"username": "gina", "password": "not-it-at-all"})
    assert r.status_code == 400
    assert_gather_error(r.json(), "invalid_credentials")
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": "garbage"})
    assert r.status_code == 401
    assert_gather_error(r.json(), "token_not_valid")
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={})
    assert r.status_code == 400 and r.json()["details"] == {"refresh": ["This field is required."]}


def test_gather_refresh_rotation_and_reuse_revokes_the_session(server):
    first = gather_register(server).json()
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": first["refresh"]})
    assert r.status_code == 200
    second = r.json()
    assert list(second) == ["access", "refresh"]
    assert second["refresh"] != first["refresh"]
    assert requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(second["access"])).status_code == 200

    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": second["refresh"]})
    assert r.status_code == 200
    third = r.json()

    # Presenting a rotated-out token revokes the whole session.
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": first["refresh"]})
    assert r.status_code == 401
    assert_gather_error(r.json(), "token_not_valid")
    r = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": third["refresh"]})
    assert r.status_code == 401
    for token in (first["access"], second["access"], third["access"]):
        assert requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(token)).status_code == 401
    # The collab refresh of that session is refused too.
    assert requests.post(server.url("/api/auth/refresh"), headers=bearer(third["refresh"])).status_code == 401


def test_collab_refresh_with_a_rotated_out_token_revokes_the_session(server):
    first = gather_register(server).json()
    rotated = requests.post(server.url("/api/v1/auth/refresh/"), json={"refresh": first["refresh"]}).json()
    r = requests.post(server.url("/api/auth/refresh"), headers=bearer(first["refresh"]))
    assert r.status_code == 401
    assert me(server, rotated["access"]).status_code == 401


# ---- one identity -----------------------------------------------------------------

def test_a_user_crosses_contracts(server):
    registered = gather_register(server, username="cross", email="cross@example.com", password="crosspass1")
    assert registered.status_code == 201
    user_id = registered.json()["user"]["id"]

    collab = requests.post(server.url("/api/auth/login"), data={"username": "cross", "password": "crosspass1"})
    assert collab.status_code == 200
    flow = requests.post(server.url("/users/login"),
                         json={"username_or_email": "cross@example.com", "password": "crosspass1"})
    assert flow.status_code == 200
    admin = requests.post(server.url("/api/v1/auth/login"), data={"username": "cross", "password": "crosspass1"})
    assert admin.status_code == 200

    for token in (collab.json()["access_token"], flow.json()["access_token"], admin.json()["access_token"]):
        r = me(server, token)
        assert r.status_code == 200 and r.json()["username"] == "cross"
        p = requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(token)).json()
        assert p["id"] == user_id and p["first_name"] == "Gina"

    # And the other way: registered through collab, signed in through gather.
    requests.post(server.url("/api/auth/register"),
                  json={"email": "c2@example.com", "password": "securepass", "username": "c2"})
    r = requests.post(server.url("/api/v1/auth/login/"), json={"username": "c2@example.com", "password": "securepass"})
    assert r.status_code == 200 and r.json()["user"]["username"] == "c2"


# ---- rate limits ------------------------------------------------------------------

def test_auth_rate_limit_headers_and_429(make_server):
    s = make_server("--auth-per-minute", "5")
    remaining = []
    for _ in range(5):
        r = requests.post(s.url("/api/auth/login"), data={"username": "nobody", "password": "whatever1"})
        assert r.status_code == 401
        assert r.headers["X-RateLimit-Limit"] == "5"
        assert int(r.headers["X-RateLimit-Reset"]) > 0
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    r = requests.post(s.url("/api/auth/login"), data={"username": "nobody", "password": "whatever1"})
    assert r.status_code == 429
    detail = r.json()["detail"]
    assert detail["code"] == "RATE_LIMIT_EXCEEDED" and detail["message"] == "Too many requests"
    assert UTC_RE.match(detail["reset_at"])
    assert r.headers["X-RateLimit-Remaining"] == "0"
    # The limit is per IP across every auth route, each refusing in its own shape.
    r = requests.post(s.url("/api/v1/auth/login/"), json={"username": "nobody", "password": "whatever1"})
    assert r.status_code == 429
    assert_gather_error(r.json(), "rate_limit_exceeded")
    assert r.json()["details"]["limit"] == 5
    r = requests.post(s.url("/users/login"), json={"username_or_email": "nobody", "password": "whatever1"})
    assert r.status_code == 429 and r.json() == {"detail": "Too many requests"}


# ---- content, idempotency, malformed bodies ----------------------------------------

def test_msgpack_round_trip(server):
    headers = {"Content-Type": "application/x-msgpack", "Accept": "application/x-msgpack"}
    body = msgpack.packb({"email": "mp@example.com", "password": "securepass", "username": "mp"})
    r = requests.post(server.url("/api/auth/register"), data=body, headers=headers)
    assert r.status_code == 201
    assert r.headers["Content-Type"].startswith("application/x-msgpack")
    user = msgpack.unpackb(r.content)
    assert user["username"] == "mp" and user["id"] == 1

    r = requests.post(server.url("/api/auth/login"), headers=headers,
                      data=msgpack.packb({"username": "mp", "password": "securepass"}))
    assert r.status_code == 200
    tokens = msgpack.unpackb(r.content)
    assert tokens["token_type"] == "bearer"
    r = requests.get(server.url("/users/me"), headers={**bearer(tokens["access_token"]),
                                                       "Accept": "application/x-msgpack"})
    assert msgpack.unpackb(r.content)["username"] == "mp"

    # Errors follow the Accept header too.
    r = requests.post(server.url("/api/auth/login"), headers=headers,
                      data=msgpack.packb({"username": "mp", "password": "wrongpass"}))
    assert r.status_code == 401
    assert msgpack.unpackb(r.content) == {"detail": {"code": "UNAUTHORIZED", "message": "Invalid credentials"}}


def test_idempotency_key_on_register(server):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"email": "idem@example.com", "password": "securepass", "username": "idem"}
    first = requests.post(server.url("/api/auth/register"), json=body, headers=key)
    second = requests.post(server.url("/api/auth/register"), json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    # One user: the next registration gets id 2, and the name is taken.
    assert requests.post(server.url("/api/auth/register"), json=body).status_code == 409
    # The same key with another request does not hand out that account.
    other = requests.post(server.url("/api/auth/register"), headers=key,
                          json={**body, "password": "otherpass1"})
    assert other.status_code == 409
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": "next@example.com", "password": "securepass", "username": "next"})
    assert r.json()["id"] == 2

    # gather answers with a session: the repeat gets the very same tokens.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    g = {"username": "gidem", "email": "gidem@example.com", "password": "gatherpass1"}
    a = requests.post(server.url("/api/v1/auth/register/"), json=g, headers=key)
    b = requests.post(server.url("/api/v1/auth/register/"), json=g, headers=key)
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json()
    assert a.json()["user"]["id"] == 3
    assert requests.get(server.url("/api/v1/auth/profile/"), headers=bearer(b.json()["access"])).status_code == 200


def test_malformed_bodies_get_the_contracts_4xx_and_change_nothing(server):
    cases = [
        ("/api/auth/register", 400, lambda b: b["detail"]["code"] == "VALIDATION_ERROR"),
        ("/users/register", 422, lambda b: b["detail"][0]["loc"] == ["body"]),
        ("/api/v1/auth/register", 422, lambda b: b["detail"][0]["loc"] == ["body"]),
        ("/api/v1/auth/register/", 400, lambda b: b["error"] == "parse_error" and "timestamp" in b),
    ]
    for path, status, check in cases:
        r = requests.post(server.url(path), data=b'{"username": "bad", "email": ',
                          headers={"Content-Type": "application/json"})
        assert r.status_code == status, path
        assert check(r.json()), (path, r.json())
        r = requests.post(server.url(path), data=b"\xc1\x81\xa8username",
                          headers={"Content-Type": "application/x-msgpack"})
        assert r.status_code == status, path
        assert check(r.json()), (path, r.json())
        r = requests.post(server.url(path), json=["not", "an", "object"])
        assert r.status_code == status, path
    # Nothing was created: the first real registration is user 1.
    r = requests.post(server.url("/api/auth/register"),
                      json={"email": "bad@example.com", "password": "securepass", "username": "bad"})
    assert r.status_code == 201 and r.json()["id"] == 1
