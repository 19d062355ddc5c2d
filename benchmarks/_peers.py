"""Peers (river, Evidently, alibi-detect, T-RECS...) in virtual environments of their own.

A benchmark compares the course's code with the tool a learner would otherwise use. Peers are
never project dependencies: each is installed on first use into ``build/peers/<name>/`` and
reused while its requirements are unchanged. A peer that will not install or import is
reported with its error (:class:`PeerUnavailable`), never silently skipped.

    python = peer_python("river", ["river==0.22.0"])
    result = run_in_peer(python, CODE, payload={"n": 1000})
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "build" / "peers"

__all__ = ["PEERS", "PeerUnavailable", "peer_python", "run_in_peer"]


class PeerUnavailable(RuntimeError):
    """A peer could not be installed or run; ``reason`` holds the tail of its error output."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"peer {name!r} unavailable: {reason}")
        self.name = name
        self.reason = reason


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def peer_environment() -> dict:
    """Environment for peer processes: no telemetry, no GPU probing, quiet warnings."""
    env = dict(os.environ)
    env.update({"DO_NOT_TRACK": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONWARNINGS": "ignore",
                "TF_CPP_MIN_LOG_LEVEL": "3"})
    env.pop("PYTHONPATH", None)
    return env


def peer_python(name: str, requirements: list[str], *, no_deps: list[str] = (), timeout: int = 1800) -> Path:
    """Return the python of peer ``name``'s venv, installing ``requirements`` on first use.

    ``no_deps`` are installed afterwards with ``--no-deps`` (for packages whose own pins cannot
    be resolved, such as T-RECS 0.2.1's pandas==1.0.5).
    """
    folder = PEERS / name
    python = folder / "bin" / "python"
    wanted = hashlib.sha256(json.dumps([requirements, list(no_deps)]).encode()).hexdigest()
    stamp = folder / ".requirements-sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    PEERS.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    steps = []
    if requirements:
        steps.append([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      *requirements])
    if no_deps:
        steps.append([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "--no-deps", *no_deps])
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=peer_environment())
        if done.returncode != 0:
            raise PeerUnavailable(name, "pip install failed:\n" + _tail(done.stderr or done.stdout))
    stamp.write_text(wanted)
    return python


def run_in_peer(python: Path, code: str, payload: dict | None = None, *, name: str = "peer",
                timeout: int = 1800) -> dict:
    """Run ``code`` with the peer's python; it reads JSON from stdin and prints JSON last.

    Raises :class:`PeerUnavailable` with the error's tail when the code fails (an import that
    breaks, for instance).
    """
    done = subprocess.run([str(python), "-c", code], input=json.dumps(payload or {}),
                          capture_output=True, text=True, timeout=timeout, env=peer_environment())
    if done.returncode != 0:
        raise PeerUnavailable(name, _tail(done.stderr or done.stdout))
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    if not lines:
        raise PeerUnavailable(name, "printed no result")
    return json.loads(lines[-1])


if __name__ == "__main__":  # pragma: no cover - a smoke check: python benchmarks/_peers.py
    python = peer_python("smoke", [])
    print(run_in_peer(python, "import json,sys; print(json.dumps({'python': sys.version.split()[0]}))"))
    sys.exit(0)
