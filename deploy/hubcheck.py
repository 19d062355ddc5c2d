"""Start the course's JupyterHub, log learners in, run a chapter in each one's server, stop it all.

The tested recipe for a room (tests/test_hub.py runs it), and a rehearsal an instructor can run on
the machine that will serve the workshop:

    .venv/bin/python deploy/hubcheck.py --users ada,grace,alan --chapter 00

Steps: start ``jupyterhub -f deploy/jupyterhub_config.py`` on 127.0.0.1 (free ports, a state folder
of its own); log each user in through the hub's login form with the shared password (a wrong
password must be refused); start each user's server through the REST API; give each user an API
token of their own; upload the chapter into each home (contents API), run every code cell through
the server's kernel API over a websocket, and write a file of their own; check each user sees only
their own files and cannot reach another user's server; stop the hub, and check that no process of
it and none of its ports is left.

Exit status 0 when every step held; 1 with one sentence saying what failed otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
CONFIG = CHECKOUT / "deploy" / "jupyterhub_config.py"
NOTEBOOKS = CHECKOUT / "notebooks"


class HubError(RuntimeError):
    """A step of the hub check failed; the message says which and what to do."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_listens(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` (a closed port in TIME_WAIT does not)."""
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Hub:
    """A running hub: its public URL, the driver's admin token, its process and state folder."""

    url: str
    token: str
    process: subprocess.Popen
    state: Path
    ports: tuple[int, ...]
    password: str
    timings: dict[str, float] = field(default_factory=dict)

    def api(self, method: str, path: str, token: str | None = None, **kwargs):
        import requests

        headers = {"Authorization": f"token {token or self.token}"}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def log_tail(self, lines: int = 15) -> str:
        log = self.state / "jupyterhub.log"
        text = log.read_text(errors="replace").splitlines() if log.exists() else []
        return "\n".join(text[-lines:])


def _hub_command() -> list[str]:
    hub = Path(sys.executable).parent / "jupyterhub"
    if not hub.exists():
        raise HubError(f"jupyterhub is not installed next to {sys.executable}. Run `make hub-deps` "
                       "(installs the [instructor] extra and the proxy).")
    return [str(hub), "-f", str(CONFIG)]


def _stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)  # the hub stops the proxy and every learner's server
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    # whatever is left in the hub's own process group (it was started in a new session)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


@contextlib.contextmanager
def running_hub(users: list[str], *, port: int | None = None, state: Path | None = None,
                graded: bool = True, env: dict[str, str] | None = None,
                timeout: float = 60) -> Iterator[Hub]:
    """Start the hub of deploy/jupyterhub_config.py; stop it and everything it started on exit.

    A port in use raises :class:`HubError` before anything starts. ``state`` defaults to a
    temporary folder removed on exit.
    """
    import psutil
    import requests

    if port is not None and not port_is_free(port):
        raise HubError(f"port {port} on 127.0.0.1 is in use: the hub cannot listen there. Stop what holds "
                       f"it (`ss -ltnp | grep :{port}`) or pick another port (--port).")
    command = _hub_command()  # before anything is made: a missing hub leaves nothing behind
    ports = (port or free_port(), free_port(), free_port())
    owned_state = state is None
    state = Path(tempfile.mkdtemp(prefix="mlfail-hub-")) if owned_state else Path(state)
    state.mkdir(parents=True, exist_ok=True)
    token, password = secrets.token_hex(32), secrets.token_urlsafe(12)
    environment = {**os.environ, "MLFAIL_HUB_DIR": str(state), "MLFAIL_HUB_PORT": str(ports[0]),
                   "MLFAIL_HUB_API_PORT": str(ports[1]), "MLFAIL_HUB_PROXY_API_PORT": str(ports[2]),
                   "MLFAIL_HUB_USERS": ",".join(users), "MLFAIL_HUB_PASSWORD": password,
                   "MLFAIL_HUB_ADMIN_TOKEN": token, "MLFAIL_GRADED": "1" if graded else "0", **(env or {})}
    started = time.perf_counter()
    log = open(state / "jupyterhub.log", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(command, cwd=state, env=environment, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{ports[0]}", token, process, state, ports, password)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise HubError(f"the hub exited at start (status {process.returncode}):\n{hub.log_tail()}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(hub.url + "/hub/api/", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise HubError(f"the hub did not answer within {timeout:.0f} s:\n{hub.log_tail()}")
            time.sleep(0.2)
        hub.timings["hub ready"] = time.perf_counter() - started
        yield hub
    finally:
        family = []
        with contextlib.suppress(psutil.NoSuchProcess):
            family = psutil.Process(process.pid).children(recursive=True)
        stopping = time.perf_counter()
        _stop(process)
        for child in family:  # the proxy, learners' servers and kernels
            with contextlib.suppress(psutil.NoSuchProcess):
                child.wait(10)
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        hub.timings["hub stopped"] = time.perf_counter() - stopping
        log.close()
        if owned_state:
            shutil.rmtree(state, ignore_errors=True)


def log_in(hub: Hub, user: str, password: str) -> bool:
    """Log in through the hub's form with the shared password; True when the hub accepted it."""
    import requests

    with requests.Session() as session:
        form = session.get(hub.url + "/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf", "")
        if form.status_code != 200:
            raise HubError(f"the login page answered {form.status_code}.")
        answer = session.post(hub.url + "/hub/login?next=", data={"username": user, "password": password,
                                                                  "_xsrf": xsrf},
                              allow_redirects=False, timeout=30)
        return answer.status_code in (302, 303) and any(c.name.startswith("jupyterhub-session")
                                                       for c in session.cookies)


def start_server(hub: Hub, user: str, timeout: float = 60) -> float:
    """Start ``user``'s server through the REST API and wait until it is ready; seconds taken."""
    started = time.perf_counter()
    answer = hub.api("POST", f"/hub/api/users/{user}/server")
    if answer.status_code not in (201, 202):
        raise HubError(f"the server of {user!r} failed to start: the hub answered {answer.status_code} "
                       f"{_message(answer)}. The hub's log ends:\n{hub.log_tail()}")
    deadline = time.monotonic() + timeout
    while True:
        model = hub.api("GET", f"/hub/api/users/{user}").json()
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return time.perf_counter() - started
        if not server or server.get("stopped") or time.monotonic() > deadline:
            raise HubError(f"the server of {user!r} failed to start (state: {server}). The hub's log ends:\n"
                           f"{hub.log_tail()}")
        time.sleep(0.2)


def _message(answer) -> str:
    try:
        return str(answer.json().get("message", ""))
    except ValueError:
        return answer.text[:200]


def user_token(hub: Hub, user: str) -> str:
    """A fresh API token of ``user``'s own (what the learner's browser session would hold)."""
    answer = hub.api("POST", f"/hub/api/users/{user}/tokens", json={"note": "mlfail hubcheck",
                                                                    "expires_in": 3600})
    if answer.status_code not in (200, 201):
        raise HubError(f"could not make a token for {user!r}: {answer.status_code} {_message(answer)}")
    return answer.json()["token"]


def upload(hub: Hub, user: str, token: str, path: str, content, kind: str = "file") -> None:
    body = {"type": kind, "format": "json" if kind == "notebook" else "text", "content": content}
    answer = hub.api("PUT", f"/user/{user}/api/contents/{path}", token=token, json=body)
    if answer.status_code not in (200, 201):
        raise HubError(f"could not write {path} in {user!r}'s home: {answer.status_code} {_message(answer)}")


def list_home(hub: Hub, user: str, token: str) -> tuple[int, list[str]]:
    answer = hub.api("GET", f"/user/{user}/api/contents/", token=token)
    if answer.status_code != 200:
        return answer.status_code, []
    return 200, sorted(item["name"] for item in answer.json()["content"])


def run_notebook(hub: Hub, user: str, token: str, path: str, cells: list[str], timeout: float = 120) -> dict:
    """Run ``cells`` in a kernel of ``user``'s server (a session on ``path``), over the websocket.

    Returns the errors (cell number -> 'Name: value'), the seconds taken and the peak resident
    memory of the user's server and its kernel (bytes).
    """
    import psutil
    import websocket

    started = time.perf_counter()
    answer = hub.api("POST", f"/user/{user}/api/sessions", token=token,
                     json={"path": path, "type": "notebook", "kernel": {"name": "python3"}})
    if answer.status_code not in (200, 201):
        raise HubError(f"could not start a kernel for {user!r}: {answer.status_code} {_message(answer)}")
    session = answer.json()
    kernel = session["kernel"]["id"]
    socket_url = hub.url.replace("http://", "ws://") + f"/user/{user}/api/kernels/{kernel}/channels"
    errors, peak = {}, 0
    server = _server_process(hub, user)
    connection = websocket.create_connection(socket_url, header=[f"Authorization: token {token}"],
                                             timeout=timeout)
    try:
        for number, source in enumerate(cells):
            msg_id = uuid.uuid4().hex
            connection.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": source, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
            deadline = time.monotonic() + timeout
            while True:
                if time.monotonic() > deadline:
                    raise HubError(f"cell {number} of {path} did not finish in {timeout:.0f} s for {user!r}.")
                opcode, data = connection.recv_data()
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue  # widget messages with binary buffers (the figure's PNG): not ours to read
                message = json.loads(data)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["header"]["msg_type"]
                if kind == "error":
                    errors[number] = f"{message['content']['ename']}: {message['content']['evalue']}"
                if kind == "status" and message["content"]["execution_state"] == "idle":
                    break
            peak = max(peak, _resident(server, psutil))
    finally:
        connection.close()
        hub.api("DELETE", f"/user/{user}/api/sessions/{session['id']}", token=token)
    return {"errors": errors, "seconds": time.perf_counter() - started, "peak_rss": peak}


def _server_process(hub: Hub, user: str):
    import psutil

    for child in psutil.Process(hub.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "jupyterhub-singleuser" in " ".join(child.cmdline()) and \
                    child.environ().get("JUPYTERHUB_USER") == user:
                return child
    return None


def _resident(process, psutil) -> int:
    if process is None:
        return 0
    total = 0
    with contextlib.suppress(psutil.Error):
        for member in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
    return total


def stop_server(hub: Hub, user: str) -> None:
    answer = hub.api("DELETE", f"/hub/api/users/{user}/server")
    if answer.status_code not in (202, 204):
        raise HubError(f"could not stop the server of {user!r}: {answer.status_code} {_message(answer)}")


def chapter_cells(chapter: str) -> tuple[Path, dict, list[str]]:
    """The chapter's notebook (``notebooks/NN_*.ipynb``), its JSON and its code cells."""
    found = sorted(NOTEBOOKS.glob(f"{chapter}_*.ipynb"))
    if not found:
        known = ", ".join(p.name[:2] for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
        raise HubError(f"there is no chapter {chapter!r} in {NOTEBOOKS} (chapters: {known}).")
    nb = json.loads(found[0].read_text())
    return found[0], nb, ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                          for c in nb["cells"] if c["cell_type"] == "code"]


def check_room(users: list[str], chapter: str = "00", *, port: int | None = None, graded: bool = True,
               env: dict[str, str] | None = None, report=print) -> dict:
    """The whole rehearsal; returns what it measured. Raises :class:`HubError` at the first failure."""
    import psutil

    path, nb, cells = chapter_cells(chapter)
    results: dict = {"users": {}, "leftovers": []}
    with running_hub(users, port=port, graded=graded, env=env) as hub:
        report(f"hub ready on {hub.url} in {hub.timings['hub ready']:.1f} s")
        if log_in(hub, users[0], hub.password + "-wrong"):
            raise HubError("the hub accepted a wrong password.")
        tokens = {}
        for user in users:
            if not log_in(hub, user, hub.password):
                raise HubError(f"{user!r} could not log in with the shared password.")
            seconds = start_server(hub, user)
            tokens[user] = user_token(hub, user)
            report(f"{user}: logged in, server ready in {seconds:.1f} s")
            results["users"][user] = {"server_seconds": seconds}
        for user in users:
            upload(hub, user, tokens[user], path.name, nb, kind="notebook")
            upload(hub, user, tokens[user], f"notes_of_{user}.txt", f"written by {user}")
            mode = ("import os\nfrom mlfail_widgets.exercises import solution\n"
                    f"assert os.environ.get('MLFAIL_GRADED') == {'1' if graded else '0'!r}\n"
                    f"assert ('switched off' in solution('00.3')) is {graded}")
            run = run_notebook(hub, user, tokens[user], path.name, [*cells, mode])
            if run["errors"]:
                raise HubError(f"chapter {chapter} failed in {user!r}'s server: {run['errors']}")
            results["users"][user].update(run)
            report(f"{user}: chapter {chapter} ran in {run['seconds']:.1f} s, server + kernel peak "
                   f"{run['peak_rss'] / 2**20:.0f} MiB")
        for user in users:
            status, names = list_home(hub, user, tokens[user])
            expected = sorted([path.name, f"notes_of_{user}.txt"])
            if status != 200 or [n for n in names if not n.startswith(".")] != expected:
                raise HubError(f"{user!r} sees {names} in their home (status {status}); expected {expected}.")
            results["users"][user]["home"] = names
            for other in users:
                if other != user:
                    status, seen = list_home(hub, other, tokens[user])
                    if status == 200:
                        raise HubError(f"{user!r} could list {other!r}'s home: {seen}.")
        report("each user sees only their own files; none can reach another's server")
        family = psutil.Process(hub.process.pid).children(recursive=True)
        for user in users:
            stop_server(hub, user)
        results["timings"] = hub.timings
    results["timings"]["hub stopped"] = hub.timings["hub stopped"]
    for process in family:
        if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
            results["leftovers"].append(f"process {process.pid} {process.name()}")
    results["leftovers"] += [f"port {p}" for p in hub.ports if port_listens(p)]
    if hub.process.poll() is None:
        results["leftovers"].append(f"hub {hub.process.pid}")
    if results["leftovers"]:
        raise HubError(f"the hub left things behind: {results['leftovers']}")
    report(f"hub stopped in {results['timings']['hub stopped']:.1f} s; no process or port left")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="ada,grace,alan", help="comma-separated user names")
    parser.add_argument("--chapter", default="00", help="the chapter each user runs (two digits)")
    parser.add_argument("--port", type=int, help="the hub's public port (default: a free one)")
    parser.add_argument("--self-study", action="store_true", help="answers on (MLFAIL_GRADED=0)")
    args = parser.parse_args(argv)
    users = [u.strip() for u in args.users.split(",") if u.strip()]
    try:
        check_room(users, args.chapter, port=args.port, graded=not args.self_study)
    except HubError as error:
        print(f"hubcheck: {error}", file=sys.stderr)
        return 1
    print("hubcheck: every step held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
