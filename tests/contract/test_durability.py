"""A crash loses no acknowledged write: kill -9 in the middle of concurrent writes,
restart on the same data directory, and every write that was answered is there."""
import subprocess
import threading
import time

import requests


def test_kill_9_loses_no_acknowledged_write(make_server, almanac, tmp_path):
    data = tmp_path / "d"
    s = make_server(data_dir=data)
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def writer(t):
        session = requests.Session()
        for i in range(10_000):
            if stop.is_set():
                return
            name = f"crash_{t}_{i}"
            try:
                r = session.post(s.url("/users/register"), timeout=10,
                                 json={"username": name, "email": name + "@example.com",
                                       "password": "password-" + name})
            except requests.RequestException:
                return  # the server is gone: this write was never answered
            if r.status_code == 200:
                with lock:
                    acknowledged.append(name)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        with lock:
            if len(acknowledged) >= 150:
                break
        time.sleep(0.05)
    s.kill()                     # SIGKILL: no graceful stop, no flush
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 150

    again = make_server(data_dir=data)
    session = requests.Session()
    for name in acknowledged:
        r = session.post(again.url("/users/login"), json={"username_or_email": name, "password": "password-" + name})
        assert r.status_code == 200, (name, r.status_code, r.text)
    assert again.stop()[0] == 0

    v = subprocess.run([almanac, "verify", "--data", str(data)], capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stderr
    assert "ok:" in v.stdout
