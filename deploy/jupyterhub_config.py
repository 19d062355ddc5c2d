"""JupyterHub for a room running the mlfail course, on one machine.

Run it from the checkout (the course installed in .venv, the proxy from `make hub-deps`):

    MLFAIL_HUB_PASSWORD='a shared password' MLFAIL_HUB_USERS=ada,grace,alan \
        .venv/bin/jupyterhub -f deploy/jupyterhub_config.py

Everything is set by environment variables, so the same file serves a workshop and the test
(tests/test_hub.py, which drives it through deploy/hubcheck.py):

  MLFAIL_HUB_DIR          the hub's state: database, cookie secret, pid files, users' homes
                          (default: build/hub in the checkout)
  MLFAIL_HUB_PORT         the public port on 127.0.0.1 (default 8000); MLFAIL_HUB_API_PORT (8081)
                          and MLFAIL_HUB_PROXY_API_PORT (8001) are the hub's and the proxy's own
  MLFAIL_HUB_USERS        comma-separated user names allowed in (required)
  MLFAIL_HUB_PASSWORD     the shared password (8 characters or more; required)
  MLFAIL_HUB_ADMIN_TOKEN  optional: an API token for a service "driver" that may start/stop servers
  MLFAIL_GRADED           1: a graded course; the learners' servers get MLFAIL_GRADED=1, which
                          switches solution(), hint() and drill reveals off (default 0: self-study)
  MLFAIL_HUB_CPU_LIMIT, MLFAIL_HUB_MEM_LIMIT   per-user limits (defaults below)
  MLFAIL_HUB_SINGLEUSER   the learners' server command (default: this venv's jupyterhub-singleuser)

This is a single-machine set-up: SimpleLocalProcessSpawner runs every learner's server as the
user that started the hub, in their own home folder. The contents API keeps learners' files apart,
but a learner's kernel could read another's folder. For a real room use system users
(LocalProcessSpawner + PAM), containers (DockerSpawner) or Kubernetes (Zero to JupyterHub, see
deploy/README.md), and a real authenticator (marked below).
"""

import os
import socket
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

CHECKOUT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STATE = Path(os.environ.get("MLFAIL_HUB_DIR", CHECKOUT / "build" / "hub")).resolve()
PORT = int(os.environ.get("MLFAIL_HUB_PORT", "8000"))
HUB_PORT = int(os.environ.get("MLFAIL_HUB_API_PORT", "8081"))
PROXY_API_PORT = int(os.environ.get("MLFAIL_HUB_PROXY_API_PORT", "8001"))
USERS = {name.strip() for name in os.environ.get("MLFAIL_HUB_USERS", "").split(",") if name.strip()}
PASSWORD = os.environ.get("MLFAIL_HUB_PASSWORD", "")
GRADED = os.environ.get("MLFAIL_GRADED", "0")

# Per-user limits. Basis: the room benchmark (benchmarks/room.py, issue 17; README "How many
# learners per machine") served 4 learners at once on 2 cores with every lesson of chapters 03
# and 04 holding, i.e. half a core each on average, with peaks of a full core while a learner's
# demo measures; deploy/hubcheck.py (tests/test_hub.py) measured one learner's server plus kernel
# at 358 MiB resident in chapter 00. So: a cap of one core (guarantee half a core where the
# spawner has guarantees) and 1 GB, which leaves room for chapters 05 and 06.
# LocalProcessSpawner does not enforce limits (it passes them to the server as CPU_LIMIT / MEM_LIMIT,
# which jupyter-resource-usage displays); DockerSpawner and KubeSpawner (Zero to JupyterHub) do.
CPU_LIMIT = float(os.environ.get("MLFAIL_HUB_CPU_LIMIT", "1.0"))
MEM_LIMIT = os.environ.get("MLFAIL_HUB_MEM_LIMIT", "1G")


def _fail(message):
    raise SystemExit(f"mlfail hub: {message}")


if not USERS:
    _fail("no users: set MLFAIL_HUB_USERS to a comma-separated list of user names, e.g. ada,grace,alan.")
if len(PASSWORD) < 8:
    _fail("set MLFAIL_HUB_PASSWORD to the shared password (8 characters or more).")
for name, port in (("MLFAIL_HUB_PORT", PORT), ("MLFAIL_HUB_API_PORT", HUB_PORT),
                   ("MLFAIL_HUB_PROXY_API_PORT", PROXY_API_PORT)):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            _fail(f"port {port} on 127.0.0.1 ({name}) is in use. Stop what holds it "
                  f"(`ss -ltnp | grep :{port}`) or choose another port with {name}=...")
proxy = CHECKOUT / ".venv" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
if not proxy.exists():
    _fail(f"configurable-http-proxy is not installed at {proxy}. Run `make hub-deps` (needs npm).")

STATE.mkdir(parents=True, exist_ok=True)
(STATE / "homes").mkdir(exist_ok=True)

# --- network: everything on 127.0.0.1 (put a TLS-terminating proxy in front for a real room)
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_PORT}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.command = [str(proxy)]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

# --- the hub's state
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# --- who may log in. The shared password is for a test or a short workshop only.
# A REAL AUTHENTICATOR GOES HERE, for example:
#   c.JupyterHub.authenticator_class = "github"            # pip install oauthenticator
#   c.GitHubOAuthenticator.oauth_callback_url = "https://hub.example.org/hub/oauth_callback"
#   c.GitHubOAuthenticator.client_id = ...; c.GitHubOAuthenticator.client_secret = ...
# or "pam" (system users, with LocalProcessSpawner) or LTI from your learning platform (ltiauthenticator).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = PASSWORD
c.Authenticator.allowed_users = USERS

# --- each learner's server: the course's own Python (the venv this hub runs from), its own home
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: one machine, tests and small rooms
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.notebook_dir = str(STATE / "homes" / "{username}")
# MLFAIL_HUB_SINGLEUSER: another single-user command (another environment with the course installed)
c.Spawner.cmd = [os.environ.get("MLFAIL_HUB_SINGLEUSER", str(VENV_BIN / "jupyterhub-singleuser"))]
c.Spawner.default_url = "/lab"
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]  # as root the server refuses to start without it
c.Spawner.cpu_limit = CPU_LIMIT
c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.environment = {
    "MLFAIL_GRADED": GRADED,               # 1: answers off for learners (mlfail_widgets._course_mode)
    "MPLBACKEND": "Agg",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}

# --- an API token for a driver (the test, or an instructor's script) that starts and stops servers
token = os.environ.get("MLFAIL_HUB_ADMIN_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "driver", "api_token": token}]
    c.JupyterHub.load_roles = [{"name": "driver-role", "services": ["driver"],
                                "scopes": ["admin:users", "admin:servers", "access:servers", "read:users", "tokens"]}]
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server
