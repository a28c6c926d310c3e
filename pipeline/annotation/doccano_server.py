"""A local Doccano for users who have none: install it once in its own venv, run it on 127.0.0.1 with SQLite.

Doccano 1.8.4 pins libraries that conflict with spaCy's, so the server lives in its own virtual environment
(``scripts/install_doccano.sh``). ``doccano webserver`` always binds 0.0.0.0, so its Django app is run with gunicorn
on 127.0.0.1 instead, next to the celery worker that does imports and exports. Credentials come from
``DOCCANO_USERNAME`` / ``DOCCANO_PASSWORD`` or a hidden prompt and reach the server's processes through their
environment only, never their command line, where ``ps`` would show them.

The server holds API tokens and every annotation, so it is kept private and narrow: its data folder is 0700 and
every file in it 0600 whatever the umask (the server's processes run with umask 077); Django answers only to the
``Host`` names 127.0.0.1 and localhost (Doccano's own settings allow any, which lets other sites' pages reach it
through DNS rebinding); and ``up`` refuses an admin password weaker than ``PASSWORD_RULE``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import typer

from pipeline.errors import GovnerError
from pipeline.resources import resource
from pipeline.text.files import atomic_output

logger = logging.getLogger("govner")

DEFAULT_HOME = Path(".doccano")
DEFAULT_PORT = 8000
INSTALL_SCRIPT = resource("scripts", "install_doccano.sh")
STATE_FILE = "server.json"
READY_TIMEOUT = 90.0
USERNAME_ENV, PASSWORD_ENV, URL_ENV = "DOCCANO_USERNAME", "DOCCANO_PASSWORD", "DOCCANO_URL"
HOME_ENV = "GOVNER_DOCCANO_HOME"
PRIVATE_UMASK = 0o077
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
PASSWORD_MIN_LENGTH = 12
PASSWORD_RULE = (
    f"at least {PASSWORD_MIN_LENGTH} characters, with at least three of lower-case letters, upper-case letters, digits "
    "and other characters, and not containing the user name"
)
SETTINGS_MODULE = "govner_doccano_settings"
# Doccano's production settings with what govner changes: Django answers only to the local host names, and files
# it stores (uploads; Django's default is 0644 whatever the umask) are the owner's only.
SETTINGS = f"""from config.settings.production import *  # noqa: F401,F403

ALLOWED_HOSTS = {list(ALLOWED_HOSTS)!r}
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
"""

# Run inside the server's venv by `up`: database tables, roles and the admin, in one process. Migrating an empty
# SQLite database takes about 20 s here, so the first migrated database is kept in the venv as a template that later
# homes start from. The admin's name and password come from the environment, so they never appear in any argv.
INIT_SCRIPT = """
import os, shutil
import django
django.setup()
from django.conf import settings
from django.core import management
from django.db import connection
management.call_command("migrate", verbosity=0)
management.call_command("create_roles")
template = os.environ["GOVNER_TEMPLATE_DB"]
if not os.path.exists(template):
    connection.close()
    shutil.copyfile(settings.DATABASES["default"]["NAME"], template + ".part")
    os.replace(template + ".part", template)
management.call_command(
    "create_admin", "--noinput", username=os.environ["DOCCANO_USERNAME"], password=os.environ["DOCCANO_PASSWORD"],
    email="admin@localhost",
)
"""
TEMPLATE_DB = "govner-empty-db.sqlite3"


def default_venv() -> Path:
    """Where the server's venv lives: ``$GOVNER_DOCCANO_VENV`` or ``~/.cache/govner/doccano-venv``."""
    return Path(os.environ.get("GOVNER_DOCCANO_VENV") or "~/.cache/govner/doccano-venv").expanduser()


def credentials(username_env: str = USERNAME_ENV, password_env: str = PASSWORD_ENV, who: str = "Doccano") -> tuple[str, str]:
    """Username and password from the environment, else asked for with hidden input; never echoed or logged."""
    username = os.environ.get(username_env, "")
    password = os.environ.get(password_env, "")
    if username and password:
        return username, password
    if not sys.stdin.isatty():
        raise GovnerError(f"no {who} credentials: set {username_env} and {password_env} (no terminal to ask on)")
    username = username or typer.prompt(f"{who} username")
    password = password or typer.prompt(f"{who} password", hide_input=True)
    return username, password


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` is too weak for a Doccano account (``PASSWORD_RULE``), or None."""
    classes = sum(
        (any(c.islower() for c in password), any(c.isupper() for c in password), any(c.isdigit() for c in password),
         any(not c.isalnum() for c in password))
    )  # fmt: skip
    if len(password) < PASSWORD_MIN_LENGTH:
        found = f"it has {len(password)} character(s)"
    elif classes < 3:
        found = f"it mixes only {classes} kind(s) of character"
    elif username and username.lower() in password.lower():
        found = "it contains the user name"
    else:
        return None
    return f"a password needs {PASSWORD_RULE}; {found}"


def password_for(username: str) -> str:
    """An annotator's password: ``DOCCANO_PASSWORD_<NAME>`` (upper case, other characters as ``_``), else a hidden prompt."""
    var = "DOCCANO_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", username.upper())
    if os.environ.get(var):
        return os.environ[var]
    if not sys.stdin.isatty():
        raise GovnerError(f"no password for Doccano user {username!r}: set {var} (no terminal to ask on)")
    return typer.prompt(f"Doccano password of {username}", hide_input=True)


def backend_dir(venv: Path) -> Path | None:
    """Doccano's Django project inside the venv (``site-packages/backend``), or None when it is not installed."""
    found = sorted(venv.glob("lib/python3*/site-packages/backend/config/wsgi.py"))
    return found[-1].parent.parent if found and (venv / "bin" / "gunicorn").exists() else None


def install(venv: Path) -> Path:
    """Create the server's venv with the install script unless it is there; return Doccano's backend folder."""
    backend = backend_dir(venv)
    if backend:
        return backend
    if not INSTALL_SCRIPT.exists():
        raise GovnerError(f"{INSTALL_SCRIPT}: install script missing; install doccano==1.8.4 into {venv} by hand")
    logger.info("Installing Doccano 1.8.4 into %s (once; about 700 MB)", venv)
    env = {**os.environ, "GOVNER_DOCCANO_VENV": str(venv)}
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], env=env, check=False)
    backend = backend_dir(venv)
    if result.returncode or not backend:
        raise GovnerError(f"{venv}: installing Doccano failed (exit code {result.returncode}); see the messages above")
    return backend


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` readable and writable by the owner only, whatever the umask (atomically)."""
    with atomic_output(path) as f:
        os.chmod(f.fileno(), 0o600)
        f.write(text)
    path.chmod(0o600)


def _open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND) -> int:
    """A file descriptor of ``path``, created 0600 and set to 0600 if it was there."""
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)
    return fd


def make_private(home: Path) -> None:
    """Create ``home`` 0700 and take group and other permissions from everything in it (folders 0700, files 0600):
    it holds the database with every API token, the secret key and the exports."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    for root, dirs, files in os.walk(home):
        for name in dirs + files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(0o700 if path.is_dir() else 0o600)


def _secret_key(home: Path) -> str:
    """Django's secret key for this home: made once, kept readable by the owner only."""
    path = home / "secret_key"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(50))
    return path.read_text(encoding="utf-8").strip()


def server_env(venv: Path, backend: Path, home: Path) -> dict[str, str]:
    """The environment of every server process: settings, SQLite database, media folder, secret key.

    The settings are Doccano's production settings with ``ALLOWED_HOSTS`` narrowed and upload permissions
    private, from a module written into the home (Doccano reads no environment variable for either).
    """
    settings = home / "settings"
    settings.mkdir(exist_ok=True, mode=0o700)
    module = settings / f"{SETTINGS_MODULE}.py"
    if not module.is_file() or module.read_text(encoding="utf-8") != SETTINGS:
        _write_private(module, SETTINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON", USERNAME_ENV, PASSWORD_ENV))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": f"{settings}{os.pathsep}{backend}",
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "DOCCANO_HOME": str(home),
        "MEDIA_ROOT": str(home / "media"),
        "SECRET_KEY": _secret_key(home),
        "STANDALONE": "True",
        "DEBUG": "False",
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def _alive(pid: int) -> bool:
    """Whether a process is running (a child that has exited is reaped, not counted)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _ours(pid: int, venv: str) -> bool:
    """Whether ``pid`` still runs a program of the server's venv: after a reboot a recorded pid may be anyone's."""
    try:
        return venv in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc here: trust the pid


def server_pids(state: dict) -> dict[str, int]:
    """The recorded processes of a server that still run, by name."""
    return {name: pid for name, pid in state["pids"].items() if _alive(pid) and _ours(pid, state["venv"])}


def read_state(home: Path) -> dict | None:
    path = home / STATE_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def answers(url: str, timeout: float = 3.0) -> bool:
    """Whether Doccano's API answers at ``url``; ``/v1/me`` says 403 to a stranger once Django is up."""
    try:
        response = requests.get(f"{url.rstrip('/')}/v1/me", timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code in (200, 401, 403)


def _log_tail(path: Path, lines: int = 15) -> list[str]:
    if not path.exists():
        return []
    return [f"{path.name}: {line}" for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]]


def _port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (connections of a stopped server lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> int:
    """Start a process in its own session (so ``down`` can stop it and its children by group); return its pid."""
    with os.fdopen(_open_private(log), "ab") as out:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
    return proc.pid


def _stop(pids: list[int], timeout: float = 15.0) -> None:
    """SIGTERM each process group, then SIGKILL what is left after ``timeout``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not any(_alive(pid) for pid in pids):
            return


def up(
    home: Path = DEFAULT_HOME,
    port: int = DEFAULT_PORT,
    venv: Path | None = None,
    admin: tuple[str, str] | None = None,
    workers: int = 2,
    timeout: float = READY_TIMEOUT,
) -> dict:
    """Start Doccano on 127.0.0.1:``port`` with its data in ``home``; return url, pids and whether it was running.

    ``admin`` is the ``(username, password)`` of the admin to create or reset; by default from the environment or a
    prompt. A password weaker than ``PASSWORD_RULE`` is refused before anything starts.
    """
    home = home.expanduser().resolve()
    state = read_state(home)
    if state and len(server_pids(state)) == len(state["pids"]) and answers(state["url"]):
        return {**state, "already_running": True}
    username, password = admin or credentials()
    if problem := password_problem(username, password):
        raise GovnerError(f"the Doccano admin password of {username!r} is too weak: {problem}; set another in {PASSWORD_ENV}")
    if state:
        _stop(list(server_pids(state).values()))
        (home / STATE_FILE).unlink(missing_ok=True)
    if not _port_free(port):
        raise GovnerError(f"127.0.0.1:{port} is in use; pick another with --port")
    venv = (venv or default_venv()).expanduser()
    backend = install(venv)
    make_private(home)
    (home / "logs").mkdir(exist_ok=True, mode=0o700)
    (home / "media").mkdir(exist_ok=True, mode=0o700)
    env = server_env(venv, backend, home)
    python = str(venv / "bin" / "python")
    template = venv / TEMPLATE_DB
    if not (home / "db.sqlite3").exists() and template.exists():
        with template.open("rb") as src, os.fdopen(_open_private(home / "db.sqlite3", os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb") as dst:
            shutil.copyfileobj(src, dst)
    init_env = {**env, USERNAME_ENV: username, PASSWORD_ENV: password, "GOVNER_TEMPLATE_DB": str(template)}
    init = subprocess.run(
        [python, "-c", INIT_SCRIPT], env=init_env, cwd=backend, capture_output=True, text=True, check=False, umask=PRIVATE_UMASK
    )
    _write_private(home / "logs" / "init.log", init.stdout + init.stderr)
    if init.returncode:
        raise GovnerError(f"{home}: setting up Doccano's database failed", details=_log_tail(home / "logs" / "init.log"))
    web = [str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "4",
           "--timeout", "300", "--chdir", str(backend), "config.wsgi"]  # fmt: skip
    worker = [python, "-m", "celery", "--app=config", f"--workdir={backend}", "worker", "--pool=solo", "--loglevel=INFO",
              "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    pids = {
        "web": _spawn(web, env, home / "logs" / "web.log", backend),
        "worker": _spawn(worker, env, home / "logs" / "worker.log", backend),
    }
    url = f"http://127.0.0.1:{port}"
    state = {"url": url, "port": port, "home": str(home), "venv": str(venv), "pids": pids, "started": time.time()}
    _write_private(home / STATE_FILE, json.dumps(state, indent=2))
    deadline = time.monotonic() + timeout
    while not answers(url):
        dead = [name for name, pid in pids.items() if not _alive(pid)]
        if dead or time.monotonic() > deadline:
            _stop(list(pids.values()))
            (home / STATE_FILE).unlink(missing_ok=True)
            why = f"the {' and '.join(dead)} process exited" if dead else f"no answer within {timeout:.0f} s"
            logs = [line for name in ("web", "worker") for line in _log_tail(home / "logs" / f"{name}.log")]
            raise GovnerError(f"{url}: Doccano did not start ({why})", details=logs)
        time.sleep(0.3)
    return {**state, "already_running": False}


def down(home: Path = DEFAULT_HOME) -> dict:
    """Stop the server started in ``home``; its data stays there for the next ``up``."""
    home = home.expanduser().resolve()
    state = read_state(home)
    if not state:
        return {"stopped": False, "home": str(home)}
    _stop(list(server_pids(state).values()))
    (home / STATE_FILE).unlink(missing_ok=True)
    return {"stopped": True, "home": str(home), "url": state["url"]}


def status(home: Path = DEFAULT_HOME, url: str | None = None) -> dict:
    """Whether the server of ``home`` (or the one at ``url``) runs and answers."""
    home = home.expanduser().resolve()
    state = read_state(home) if not url else None
    if not url and not state:
        return {"running": False, "answers": False, "url": None, "home": str(home)}
    target = url or state["url"]
    running = server_pids(state) if state else {}
    processes = {name: name in running for name in state["pids"]} if state else {}
    return {
        "running": all(processes.values()) if state else None,
        "answers": answers(target),
        "url": target,
        "processes": processes,
        "home": str(home),
    }


def resolve_url(url: str | None, home: Path = DEFAULT_HOME) -> str:
    """The Doccano to talk to: ``--url`` / ``DOCCANO_URL``, else the local server started in ``home``."""
    if url:
        return url.rstrip("/")
    state = read_state(home.expanduser().resolve())
    if state:
        return state["url"]
    raise GovnerError(f"no Doccano: start one with `govner doccano up`, or pass --url (or set {URL_ENV})")
