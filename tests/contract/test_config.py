"""Configuration comes from flags, then ALMANAC_* environment, then a config file."""
import os
import re
import subprocess


def start(almanac, args, env=None, cwd=None):
    proc = subprocess.Popen([almanac, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=cwd)
    line = proc.stdout.readline()
    return proc, line


def stop(proc):
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def test_file_then_environment_then_flags(almanac, tmp_path):
    conf = tmp_path / "almanac.conf"
    conf.write_text("# a comment\nlisten = 127.0.0.1:0\nrate-limits = off\n"
                    f"data = {tmp_path / 'from-file'}\n")
    env = dict(os.environ, ALMANAC_DATA=str(tmp_path / "from-env"))
    proc, line = start(almanac, ["--config", str(conf), "--access-log", "off"], env=env)
    assert re.match(r"listening on 127\.0\.0\.1:\d+", line), line
    code, err = stop(proc)
    assert code == 0
    assert "rate limits are off" in err                      # from the file
    assert f"data directory {tmp_path}/from-env" in err       # the environment beats the file
    assert (tmp_path / "from-env").is_dir() and not (tmp_path / "from-file").exists()

    proc, line = start(almanac, ["--config", str(conf), "--data", str(tmp_path / "from-flag"),
                                 "--access-log", "off"], env=env)
    assert line.startswith("listening on")
    code, err = stop(proc)
    assert f"data directory {tmp_path}/from-flag" in err      # a flag beats both


def test_invalid_settings_say_what_is_wrong(almanac, tmp_path):
    r = subprocess.run([almanac, "serve", "--data", str(tmp_path / "d"), "--listen", "nohost"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "listen: expected HOST:PORT" in r.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("threads = many\n")
    r = subprocess.run([almanac, "serve", "--config", str(bad)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "threads: invalid value 'many'" in r.stderr
    r = subprocess.run([almanac, "serve", "--config", str(tmp_path / "missing.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "cannot read the configuration file" in r.stderr
