"""The client side of every black-box test: requests against one running server, as one
user or as nobody, in JSON or MessagePack; the identity routes that make a user; writers
that register users in the background; and raw HTTP on a socket of its own."""
import socket
import threading
import time
import uuid

import msgpack
import requests

TIMEOUT = 30
PASSWORD = "correct-horse-9"


def bearer(token):
    """The Authorization header of an access (or refresh) token."""
    return {"Authorization": f"Bearer {token}"}


class Client:
    """Requests to one server, with the bearer token of one user when given. Redirects are
    not followed, so a test sees the server's own answer."""

    def __init__(self, server, token=None):
        self.server = server
        self.token = token
        self.headers = bearer(token) if token else {}

    def req(self, method, path, body=None, headers=None, **kw):
        h = dict(self.headers)
        h.update(headers or {})
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return requests.request(method, self.server.url(path), json=body, headers=h, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.req("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    def packed(self, method, path, body=None, headers=None, **kw):
        """MessagePack both ways: the body packed, the answer asked for packed."""
        h = {"Content-Type": "application/x-msgpack", "Accept": "application/x-msgpack", **(headers or {})}
        data = msgpack.packb(body) if body is not None else None
        return self.req(method, path, headers=h, data=data, **kw)


def register(server, username, password=PASSWORD, email=None):
    """Registers `username` through the identity routes (flowstate's); returns the account."""
    r = requests.post(server.url("/users/register"), timeout=TIMEOUT,
                      json={"username": username, "email": email or f"{username}@example.com", "password": password})
    assert r.status_code in (200, 201), r.text
    return r.json()


def login(server, username, password=PASSWORD):
    """An access token for `username` (or its email)."""
    r = requests.post(server.url("/users/login"), timeout=TIMEOUT,
                      json={"username_or_email": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def signed_in(server, username, password=PASSWORD):
    """A Client for a new user `username`."""
    register(server, username, password)
    return Client(server, login(server, username, password))


class Writers:
    """Threads that register users until stopped; remembers which registrations were answered.
    Each user's password is `password_of(username)`."""

    def __init__(self, server, threads=4, prefix="w", password_of=lambda name: PASSWORD):
        self.server = server
        self.password_of = password_of
        self.stop_flag = threading.Event()
        self.acknowledged = []
        self.statuses = {}   # every status answered, for the failure message
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(f"{prefix}{i}", i), daemon=True)
                        for i in range(threads)]

    def _run(self, prefix, index):
        session = requests.Session()
        for n in range(100000):
            if self.stop_flag.is_set():
                return
            name = f"{prefix}-{n}-{uuid.uuid4().hex[:6]}"
            try:
                r = session.post(self.server.url("/users/register"), timeout=10,
                                 json={"username": name, "email": f"{name}@example.com",
                                       "password": self.password_of(name)})
            except requests.RequestException:
                return  # the server went away: this write was never answered
            with self.lock:
                self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    self.acknowledged.append(name)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count() >= count:
                return
            time.sleep(0.01)
        raise AssertionError(f"fewer than {count} writes acknowledged in {timeout}s: {self.statuses}")

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=60)
            assert not t.is_alive()
        return list(self.acknowledged)


def raw(server, data, timeout=10, read_body=True):
    """Sends `data` as it is on a fresh connection; returns (status, headers, body bytes)."""
    host, port = server.host_port.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock, read_body)


def read_response(sock, read_body=True):
    """One HTTP response from `sock`: (status, headers with lower-case names, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response: {buf!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while read_body and len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]
