"""The course on a real JupyterHub (issue 21): deploy/jupyterhub_config.py driven by deploy/hubcheck.py.

Three learners log in with the shared password, start their servers through the REST API, run
chapter 00 in their own kernels over the websocket, see only their own files, and everything stops
with no process or port left. Skipped without jupyterhub or the proxy (`make hub-deps`), except
under CI=true, where a missing piece is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys

import psutil
import pytest

from .conftest import ROOT

PROXY = ROOT / ".venv" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
JUPYTERHUB = os.path.join(os.path.dirname(sys.executable), "jupyterhub")

_missing = [what for what, ok in (("configurable-http-proxy (make hub-deps)", PROXY.exists()),
                                  ("jupyterhub ([instructor] extra)", os.path.exists(JUPYTERHUB))) if not ok]
if _missing:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the hub test needs {', '.join(_missing)}; .ci/run installs them", pytrace=False)
    pytest.skip(f"the hub test needs {', '.join(_missing)}", allow_module_level=True)

pytestmark = pytest.mark.slow


def _hubcheck():
    spec = importlib.util.spec_from_file_location("hubcheck", ROOT / "deploy" / "hubcheck.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


hubcheck = _hubcheck()


def _hub_processes() -> set[int]:
    """The hub, proxy and single-user servers of this checkout that are running now."""
    found = set()
    for process in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if ("jupyterhub" in line or "configurable-http-proxy" in line) and str(ROOT) in line:
            found.add(process.info["pid"])
    return found


@pytest.mark.timeout(900)
def test_three_learners_run_a_chapter_in_their_own_servers_and_nothing_is_left():
    before = _hub_processes()
    lines = []
    results = hubcheck.check_room(["ada", "grace", "alan"], "00", graded=True, report=lines.append)
    assert set(results["users"]) == {"ada", "grace", "alan"}
    for user, run in results["users"].items():
        assert run["errors"] == {}  # every cell of chapter 00, and the graded-mode check after it
        assert [n for n in run["home"] if not n.startswith(".")] == \
            sorted(["00_why_ml_systems_fail.ipynb", f"notes_of_{user}.txt"])
        assert run["peak_rss"] > 50 * 2**20, "the server and its kernel were measured"
    assert results["leftovers"] == []
    assert _hub_processes() <= before, "no hub, proxy, server or kernel process outlives the test"
    assert any("each user sees only their own files" in line for line in lines)


def _listening_socket():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_a_port_in_use_is_a_clear_error_from_the_driver_and_from_the_config(capsys, tmp_path):
    with _listening_socket() as holder:
        port = holder.getsockname()[1]
        assert hubcheck.main(["--users", "ada", "--port", str(port)]) == 1
        assert f"port {port} on 127.0.0.1 is in use" in capsys.readouterr().err
        env = {**os.environ, "MLFAIL_HUB_PORT": str(port), "MLFAIL_HUB_USERS": "ada",
               "MLFAIL_HUB_PASSWORD": "a-long-password", "MLFAIL_HUB_DIR": str(tmp_path / "state")}
        run = subprocess.run([JUPYTERHUB, "-f", str(ROOT / "deploy" / "jupyterhub_config.py")], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert f"mlfail hub: port {port} on 127.0.0.1 (MLFAIL_HUB_PORT) is in use" in run.stderr + run.stdout
    assert not (tmp_path / "state").exists(), "nothing written before the check"


def test_a_short_password_is_refused_by_the_config(tmp_path):
    env = {**os.environ, "MLFAIL_HUB_USERS": "ada", "MLFAIL_HUB_PASSWORD": "short",
           "MLFAIL_HUB_DIR": str(tmp_path / "state")}
    run = subprocess.run([JUPYTERHUB, "-f", str(ROOT / "deploy" / "jupyterhub_config.py")], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "MLFAIL_HUB_PASSWORD" in run.stderr + run.stdout


@pytest.mark.timeout(600)
def test_a_server_that_fails_to_start_is_a_clear_error_and_nothing_is_left(capsys):
    before = _hub_processes()
    with pytest.raises(hubcheck.HubError, match=r"the server of 'ada' failed to start"):
        hubcheck.check_room(["ada"], "00", env={"MLFAIL_HUB_SINGLEUSER": "/bin/false"}, report=lambda _: None)
    assert _hub_processes() <= before
