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
    r = run(almanac, "serve", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert (workdir / "data").is_dir()
    assert f"data directory {workdir}/data" in r.stderr
    assert "replayed 0 events" in r.stdout
    assert "log head at position 0" in r.stdout


def test_verify_and_replay_on_a_fresh_directory(almanac, workdir):
    data = str(workdir / "d")
    assert run(almanac, "serve", "--data", data).returncode == 0
    v = run(almanac, "verify", "--data", data)
    assert v.returncode == 0, v.stderr
    assert "ok:" in v.stdout
    rp = run(almanac, "replay", "--data", data)
    assert rp.returncode == 0, rp.stderr
    assert "replayed 0 events" in rp.stdout


def test_backup_opens_as_a_data_directory(almanac, workdir):
    data, copy = str(workdir / "d"), str(workdir / "copy")
    assert run(almanac, "serve", "--data", data).returncode == 0
    b = run(almanac, "backup", copy, "--data", data)
    assert b.returncode == 0, b.stderr
    s = run(almanac, "serve", "--data", copy)
    assert s.returncode == 0, s.stderr
    assert "replayed 0 events" in s.stdout


def test_missing_directory_says_what_to_do(almanac, workdir):
    r = run(almanac, "verify", "--data", str(workdir / "nope"))
    assert r.returncode == 1
    assert r.stderr.startswith("almanac:")
    assert "data directory" in r.stderr
