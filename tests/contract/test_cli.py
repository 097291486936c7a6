"""The operator commands of the binary: help, start-up report, verify, backup."""
import subprocess


def run(almanac, *args, cwd=None):
    return subprocess.run([almanac, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_help_on_every_command(almanac):
    top = run(almanac, "--help")
    assert top.returncode == 0
    for name in ("serve", "log", "replay", "verify", "backup", "users"):
        assert name in top.stdout
    for cmd in (["serve"], ["log"], ["replay"], ["verify"], ["backup"], ["users", "promote"]):
        r = run(almanac, *cmd, "--help")
        assert r.returncode == 0, r.stderr
        assert "--data" in r.stdout


def test_unknown_command_is_a_usage_error(almanac):
    r = run(almanac, "frobnicate")
    assert r.returncode != 0
    assert "frobnicate" in (r.stderr + r.stdout)


def test_serve_creates_the_default_data_directory_and_reports(almanac, workdir):
    import subprocess as sp
    # Started from the work directory with no --data: the default ./data.
    proc = sp.Popen([almanac, "serve", "--listen", "127.0.0.1:0"], cwd=workdir,
                    stdout=sp.PIPE, stderr=sp.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("listening on 127.0.0.1:")
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert (workdir / "data").is_dir()
    assert f"data directory {workdir}/data" in err
    assert "replayed 0 events" in err
    assert "stopped cleanly" in err


def test_verify_and_replay_after_a_server_run(almanac, make_server, workdir):
    data = workdir / "d"
    s = make_server(data_dir=data)
    assert s.stop()[0] == 0
    v = run(almanac, "verify", "--data", str(data))
    assert v.returncode == 0, v.stderr
    assert "ok:" in v.stdout
    rp = run(almanac, "replay", "--data", str(data))
    assert rp.returncode == 0, rp.stderr
    assert "replayed 0 events" in rp.stdout


def test_backup_opens_as_a_data_directory(almanac, make_server, workdir):
    data, copy = workdir / "d", workdir / "copy"
    assert make_server(data_dir=data).stop()[0] == 0
    b = run(almanac, "backup", str(copy), "--data", str(data))
    assert b.returncode == 0, b.stderr
    s = make_server(data_dir=copy)
    assert s.stop()[0] == 0


def test_missing_directory_says_what_to_do(almanac, workdir):
    r = run(almanac, "verify", "--data", str(workdir / "nope"))
    assert r.returncode == 1
    assert r.stderr.startswith("almanac:")
    assert "data directory" in r.stderr
