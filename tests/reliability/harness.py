"""What the reliability scripts share: almanac serve on a free loopback port over
one data directory, its standard error kept in a file."""
import re
import subprocess
import threading
import time

import requests


def metrics(base, timeout=10):
    """The server's /metrics as {sample with its labels: value} (the value is after the
    last space: label values may hold spaces)."""
    text = requests.get(f"{base}/metrics", timeout=timeout).text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


class Server:
    """almanac serve on a free loopback port over one data directory."""

    def __init__(self, binary, data, stderr_path=None):
        self.binary, self.data, self.proc, self.base = binary, data, None, None
        self.stderr_path = stderr_path

    def start(self):
        err = open(self.stderr_path, "a") if self.stderr_path else subprocess.PIPE
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", "127.0.0.1:0", "--access-log", "off",
             "--rate-limits", "off", "--bench-fast-hash"],
            stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise SystemExit(f"almanac exited on start (status {self.proc.returncode})")
                continue
            m = re.match(r"listening on (\S+)", line)
            if m:
                self.base = f"http://{m.group(1)}"
                # Drain the pipes so a chatty server never blocks on them.
                for stream in (self.proc.stdout, self.proc.stderr):
                    if stream is None:
                        continue
                    threading.Thread(target=lambda s=stream: [None for _ in s], daemon=True).start()
                return self
        raise SystemExit("almanac did not start listening within 120 s")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status."""
        self.proc.terminate()
        return self.proc.wait(timeout=60)
