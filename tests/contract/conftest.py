"""Black-box tests: they run the real almanac binary as an operator or client would."""
import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption("--almanac", default=os.environ.get("ALMANAC_BIN", "build/asan/almanac"),
                     help="path of the almanac binary under test")


@pytest.fixture(scope="session")
def almanac(request):
    path = pathlib.Path(request.config.getoption("--almanac"))
    if not path.is_absolute():
        path = ROOT / path
    if not path.exists():
        pytest.fail(f"almanac binary not found at {path}; build it with scripts/build.sh")
    return str(path)


@pytest.fixture
def workdir(tmp_path):
    """A fresh directory; removed afterwards."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)
