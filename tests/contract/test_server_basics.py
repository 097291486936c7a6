"""The server core over real sockets: routing rules, error shapes, health, metrics, limits, shutdown."""
import socket
import time


from clients import Client


def test_health_shapes(server):
    r = Client(server).get("/health/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy" and body["timestamp"].endswith("Z") and "version" in body
    live = Client(server).get("/health/live").json()
    assert live["status"] == "alive" and live["django_ready"] is True
    ready = Client(server).get("/health/ready/")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "healthy"
    assert isinstance(checks["database"]["latency_ms"], float)
    assert "total_latency_ms" in ready.json()
    status = Client(server).get("/health/status/").json()
    assert status["status"] == "ok" and status["database"]["version"].startswith("RocksDB")


def test_unknown_path_is_404_in_the_owning_contracts_shape(server):
    r = Client(server).get("/health/nope")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"          # gather owns /health
    r = Client(server).get("/nothing/here")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_wrong_method_is_405_with_allow(server):
    r = Client(server).post("/health/live")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"


def test_metrics_count_requests(server):
    Client(server).get("/health/live")
    text = Client(server).get("/metrics").text
    assert 'almanac_http_requests_total{route="/health/live",method="GET",status="200"}' in text
    assert "process_resident_memory_bytes" in text


def test_oversized_body_is_413_and_changes_nothing(server):
    r = Client(server).post("/health/live", data=b"x" * (2 << 20))
    assert r.status_code == 413


def test_slow_client_is_disconnected(make_server):
    s = make_server("--read-timeout", "1", "--idle-timeout", "1")
    host, port = s.host_port.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")   # never finishes the headers
    sock.settimeout(10)
    started = time.time()
    data = sock.recv(1024)
    assert data == b""                     # the server closed the connection
    assert time.time() - started < 5
    # and the server still answers others
    assert Client(s).get("/health/live").status_code == 200


def test_the_last_request_of_a_connection_says_connection_close(make_server):
    s = make_server("--max-requests-per-connection", "3")
    host, port = s.host_port.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(10)
    answers = b""
    for _ in range(3):
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        while answers.count(b"HTTP/1.1 200") < _ + 1 or not answers.endswith(b"}"):
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection before answering"
            answers += chunk
    heads = [part.split(b"\r\n\r\n")[0].lower() for part in answers.split(b"HTTP/1.1 ")[1:]]
    assert len(heads) == 3
    assert all(b"connection: close" not in h for h in heads[:2])
    assert b"connection: close" in heads[2]          # the client knows not to send a fourth
    assert sock.recv(1024) == b""                    # and the server closes
    # a new connection is served as before
    assert Client(s).get("/health/live").status_code == 200


def test_graceful_shutdown_exits_cleanly(server):
    assert Client(server).get("/health/live").status_code == 200
    code, err = server.stop()
    assert code == 0
    assert "stopped cleanly" in err
