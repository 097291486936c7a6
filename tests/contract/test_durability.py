"""A crash loses no acknowledged write: kill -9 in the middle of concurrent writes,
restart on the same data directory, and every write that was answered is there."""
import subprocess
import time

import requests

from clients import Writers


def test_kill_9_loses_no_acknowledged_write(make_server, almanac, tmp_path):
    data = tmp_path / "d"
    s = make_server(data_dir=data)
    writers = Writers(s, threads=6, prefix="crash_", password_of=lambda name: "password-" + name).start()
    deadline = time.time() + 30
    while time.time() < deadline and writers.count() < 150:
        time.sleep(0.05)
    s.kill()                     # SIGKILL: no graceful stop, no flush
    acknowledged = writers.finish()
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
