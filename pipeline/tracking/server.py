"""A team's MLflow tracking server on this machine: PostgreSQL, MLflow with an artifact proxy, logins.

``python -m pipeline.tracking.server start|stop|status`` (``make server``, ``make server-stop``,
``make server-status``). Everything lives under one folder, ``data/server/`` by default
(``SERVER_DIR``):

- ``postgres/``: a PostgreSQL cluster (Debian's ``postgresql`` package), created on the first
  start and owned by an unprivileged user: the caller, or the ``postgres`` system user when the
  caller is root (``initdb``/``pg_ctl`` then run through ``runuser``). It listens on no TCP port,
  only on a Unix socket inside its own 0700 folder, and asks for a password. It holds two
  databases: ``mlflow`` (runs and model registry) and ``mlflow_auth`` (users and permissions).
- ``artifacts/``: where the server keeps artifacts; clients reach them through the server's
  proxy (``mlflow-artifacts:/``), never through the file system.
- secrets, mode 600, created with random values on the first start: ``admin_password`` (the
  MLflow ``admin`` user's; ``MLFLOW_SERVER_ADMIN_PASSWORD`` overrides it), ``db_password`` and
  ``flask_secret``; and ``basic_auth.ini``, the auth app's config (no password in it).
- ``postgres.pid`` and ``mlflow.pid``: what ``stop`` ends, and only that.

The server binds ``SERVER_HOST`` (127.0.0.1) on ``SERVER_PORT`` (5000). The client side is
``check_tracking_server``: a one-line error when a configured ``http(s)`` tracking URI does not
answer or refuses the login.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pwd
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.core.config import REPO_ROOT
from pipeline.core.tables import write_text_atomic

DEFAULT_ROOT = REPO_ROOT / "data" / "server"
DB_USER = "mlflow"
STORE_DB = "mlflow"
AUTH_DB = "mlflow_auth"
PERMISSIONS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")


class ServerError(RuntimeError):
    """A server action that cannot go on; the message says what to do."""

@dataclass(frozen=True)
class ServerSettings:
    """Where the server keeps its state and how it is reached."""
    root: Path = DEFAULT_ROOT
    host: str = "127.0.0.1"
    port: int = 5000
    pg_port: int = 5432  # names the Unix socket only: PostgreSQL listens on no TCP port
    workers: int = 2
    default_permission: str = "READ"
    admin_username: str = "admin"

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def postgres_pid_file(self) -> Path:
        return self.root / "postgres.pid"

    @property
    def mlflow_pid_file(self) -> Path:
        return self.root / "mlflow.pid"

    @property
    def postgres_log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def mlflow_log(self) -> Path:
        return self.root / "mlflow.log"

    @property
    def admin_password_file(self) -> Path:
        return self.root / "admin_password"

    @property
    def db_password_file(self) -> Path:
        return self.root / "db_password"

    @property
    def flask_secret_file(self) -> Path:
        return self.root / "flask_secret"

    @property
    def auth_config(self) -> Path:
        return self.root / "basic_auth.ini"

    @property
    def url(self) -> str:
        """The tracking URI clients use (a wildcard bind is reached on 127.0.0.1 from here)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else ("[::1]" if self.host == "::" else self.host)
        return f"http://{host}:{self.port}"


def settings_from_env(env: dict[str, str] | None = None) -> ServerSettings:
    """Settings from SERVER_DIR, SERVER_HOST, SERVER_PORT, SERVER_PG_PORT, SERVER_WORKERS and
    SERVER_DEFAULT_PERMISSION; a bad value is a one-line error naming the variable."""
    env = os.environ if env is None else env
    root = Path(env.get("SERVER_DIR") or DEFAULT_ROOT)
    root = root if root.is_absolute() else REPO_ROOT / root
    values: dict[str, int] = {}
    for name, key, default in (("SERVER_PORT", "port", 5000), ("SERVER_PG_PORT", "pg_port", 5432),
                               ("SERVER_WORKERS", "workers", 2)):
        raw = env.get(name) or str(default)
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise ServerError(f"{name}={raw!r} is not a port/count: set it to a whole number, e.g. {default}")
        values[key] = int(raw)
    permission = (env.get("SERVER_DEFAULT_PERMISSION") or "READ").upper()
    if permission not in PERMISSIONS:
        raise ServerError(f"SERVER_DEFAULT_PERMISSION={permission!r} is not one of {', '.join(PERMISSIONS)}")
    return ServerSettings(root=root, host=env.get("SERVER_HOST") or "127.0.0.1", default_permission=permission,
                          **values)


# --- pure helpers -------------------------------------------------------------------------------

def store_uri(settings: ServerSettings, database: str = STORE_DB) -> str:
    """SQLAlchemy URI of a database of the cluster, over its Unix socket (password from PGPASSWORD)."""
    query = urllib.parse.urlencode({"host": str(settings.pgdata), "port": settings.pg_port})
    return f"postgresql+psycopg2://{DB_USER}@/{database}?{query}"


def auth_config_text(settings: ServerSettings) -> str:
    """The basic-auth app's config: users in the cluster's auth database; no password in it
    (the admin's comes from MLFLOW_AUTH_ADMIN_PASSWORD in the server's environment)."""
    return "\n".join([
        "[mlflow]",
        f"default_permission = {settings.default_permission}",
        f"database_uri = {store_uri(settings, AUTH_DB).replace('%', '%%')}",  # configparser interpolates %
        f"admin_username = {settings.admin_username}",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        # Each login check hashes the password (about 0.3 s of CPU here) and a training makes hundreds
        # of requests: a worker remembers a checked login for a minute, so a changed password or a
        # deleted user takes up to that long to reach every worker.
        "auth_cache_ttl_seconds = 60",
        "",
    ])


def postgres_options(settings: ServerSettings) -> list[str]:
    """Server options: no TCP listener, the socket inside the data folder."""
    return ["-c", "listen_addresses=", "-c", f"unix_socket_directories={settings.pgdata}",
            "-p", str(settings.pg_port)]


def mlflow_command(settings: ServerSettings, python: str = sys.executable) -> list[str]:
    """The `mlflow server` command line (no secrets in it: they travel in the environment)."""
    return [python, "-m", "mlflow", "server", "--backend-store-uri", store_uri(settings),
            "--artifacts-destination", str(settings.artifacts), "--serve-artifacts",
            "--app-name", "basic-auth", "--host", settings.host, "--port", str(settings.port),
            "--workers", str(settings.workers)]


def exports(settings: ServerSettings, password_hint: str) -> str:
    """The shell lines that point this project's commands at the server as its admin."""
    return "\n".join([f"export MLFLOW_TRACKING_URI={settings.url}",
                      f"export MLFLOW_TRACKING_USERNAME={settings.admin_username}",
                      f"export MLFLOW_TRACKING_PASSWORD={password_hint}"])


def basic_auth_header(username: str, password: str) -> str:
    """The Authorization header value of HTTP basic auth."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- processes and files ------------------------------------------------------------------------

def postgres_bin(name: str) -> Path:
    """A PostgreSQL server binary (initdb, pg_ctl, postgres) of the newest installed major version."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise ServerError(f"PostgreSQL's {name} not found under /usr/lib/postgresql/*/bin: "
                          "run `make setup-postgres` (apt-get install postgresql)")
    return found[-1]


def service_user() -> str | None:
    """Who owns and runs the cluster: None (the caller) unless the caller is root, then `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerError("running as root but there is no `postgres` system user to own the database: "
                          "install Debian's postgresql package (make setup-postgres)") from None
    return "postgres"


def as_user(command: list[str], user: str | None) -> list[str]:
    """`command`, run as `user` through runuser when one is given."""
    return ["runuser", "-u", user, "--", *command] if user else command


def write_secret(path: Path, value: str) -> None:
    """Write a secret atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_or_create_secret(path: Path, override: str | None = None) -> tuple[str, bool]:
    """(secret, created): `override` if given, else the file's content, else a new random one."""
    if override:
        return override, False
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value, False
    value = secrets.token_urlsafe(24)
    write_secret(path, value)
    return value, True


def read_pid(path: Path) -> int | None:
    """The PID recorded in a pid file, or None."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def process_cmdline(pid: int) -> list[str]:
    """A live process's command line ([] when it is gone or a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return []
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except (OSError, IndexError):
        return []


def _live_processes(field: int, value: int) -> list[int]:
    """Live processes whose /proc stat field `field` (after the command name) equals `value`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[field]) == value and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group."""
    return _live_processes(2, pgid)


def session_members(sid: int) -> list[int]:
    """Live processes of a session (a server started with start_new_session, and all it spawned)."""
    return _live_processes(3, sid)


def running_postgres(settings: ServerSettings) -> int | None:
    """PID of this cluster's postmaster if the recorded one is alive and is ours."""
    pid = read_pid(settings.postgres_pid_file)
    if pid is None:
        return None
    cmdline = process_cmdline(pid)
    return pid if cmdline and "postgres" in Path(cmdline[0]).name and str(settings.pgdata) in cmdline else None


def running_mlflow(settings: ServerSettings) -> int | None:
    """PID of this server's `mlflow server` if the recorded one is alive and is ours."""
    pid = read_pid(settings.mlflow_pid_file)
    if pid is None:
        return None
    cmdline = process_cmdline(pid)
    return pid if "server" in cmdline and str(settings.artifacts) in cmdline else None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at `host` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port."""
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host.strip("[]"), port)) == 0


def http_status(url: str, auth: tuple[str, str] | None = None, timeout: float = 10.0) -> int:
    """HTTP status of a GET (0 when nothing answers)."""
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", basic_auth_header(*auth))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return 0


# --- PostgreSQL -----------------------------------------------------------------------------------

def prepare_root(settings: ServerSettings, user: str | None) -> None:
    """Create the server folder (traversable, not listable by others) and the cluster's folder,
    owned by the cluster's user."""
    settings.root.mkdir(parents=True, exist_ok=True)
    settings.root.chmod(0o711)
    settings.artifacts.mkdir(exist_ok=True)
    if not settings.pgdata.exists():
        settings.pgdata.mkdir(mode=0o700)
    settings.postgres_log.touch(exist_ok=True)
    if user:
        entry = pwd.getpwnam(user)
        for path in (settings.pgdata, settings.postgres_log):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        probe = subprocess.run(as_user(["test", "-w", str(settings.pgdata)], user), capture_output=True, check=False)
        if probe.returncode != 0:
            raise ServerError(f"user {user} cannot reach {settings.pgdata}: make its parent folders traversable "
                              f"(chmod o+x on each) or set SERVER_DIR to a folder it can reach")


def init_cluster(settings: ServerSettings, db_password: str, user: str | None) -> bool:
    """initdb on first use (password auth, UTF-8); False when the cluster already exists."""
    if (settings.pgdata / "PG_VERSION").exists():
        return False
    pwfile = settings.root / ".initdb_pw"
    write_secret(pwfile, db_password)
    try:
        if user:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        done = subprocess.run(
            as_user([str(postgres_bin("initdb")), "-D", str(settings.pgdata), "-U", DB_USER,
                     f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"], user),
            capture_output=True, text=True, check=False)
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise ServerError(f"initdb failed for {settings.pgdata}: {done.stderr.strip().splitlines()[-1:]}")
    return True


def start_postgres(settings: ServerSettings, user: str | None) -> int:
    """Start the cluster (pg_ctl, waits until it accepts connections); record and return its PID."""
    pid = running_postgres(settings)
    if pid:
        return pid
    socket_path = settings.pgdata / f".s.PGSQL.{settings.pg_port}"
    if len(str(socket_path)) > 100:
        raise ServerError(f"the socket path {socket_path} is too long for a Unix socket: set SERVER_DIR to a shorter path")
    options = " ".join(shlex.quote(o) for o in postgres_options(settings))
    done = subprocess.run(
        as_user([str(postgres_bin("pg_ctl")), "start", "-w", "-t", "60", "-D", str(settings.pgdata),
                 "-l", str(settings.postgres_log), "-o", options], user),
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        tail = settings.postgres_log.read_text(errors="replace").strip().splitlines()[-3:]
        raise ServerError(f"PostgreSQL did not start from {settings.pgdata} (log {settings.postgres_log}): "
                          f"{' | '.join(tail) or done.stderr.strip()}")
    pid = int((settings.pgdata / "postmaster.pid").read_text().split()[0])
    settings.postgres_pid_file.write_text(f"{pid}\n")
    return pid


def ensure_databases(settings: ServerSettings, db_password: str) -> list[str]:
    """Create the store and auth databases when missing; return the names created."""
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user=DB_USER, password=db_password,
                                  host=str(settings.pgdata), port=settings.pg_port)
    connection.autocommit = True
    created = []
    try:
        with connection.cursor() as cursor:
            for name in (STORE_DB, AUTH_DB):
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
                    created.append(name)
    finally:
        connection.close()
    return created


# --- MLflow ---------------------------------------------------------------------------------------

def start_mlflow(settings: ServerSettings, db_password: str, admin_password: str, flask_secret: str,
                 timeout: float = 180.0) -> int:
    """Start `mlflow server` in its own session, wait until /health answers; record and return its PID."""
    pid = running_mlflow(settings)
    if pid:
        cmdline = process_cmdline(pid)
        bound = cmdline[cmdline.index("--host") + 1:cmdline.index("--port") + 2:2] if "--port" in cmdline else []
        if bound != [settings.host, str(settings.port)]:
            raise ServerError(f"the server of {settings.root} already runs on {':'.join(bound)}: "
                              "stop it first (make server-stop) to move it")
        return pid
    if port_in_use(settings.host, settings.port):
        raise ServerError(f"port {settings.port} on {settings.host} is taken by another program: "
                          "stop it or choose another with SERVER_PORT=")

    write_text_atomic(settings.auth_config, auth_config_text(settings))
    drop = {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"PGPASSWORD": db_password, "MLFLOW_AUTH_CONFIG_PATH": str(settings.auth_config),
                "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password, "MLFLOW_FLASK_SERVER_SECRET_KEY": flask_secret,
                # the job runner serves GenAI features this project does not use
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    with open(settings.mlflow_log, "a") as log:
        process = subprocess.Popen(mlflow_command(settings), cwd=settings.root, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    settings.mlflow_pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while http_status(f"{settings.url}/health", timeout=5) != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_mlflow(settings)
            tail = settings.mlflow_log.read_text(errors="replace").strip().splitlines()[-5:]
            raise ServerError(f"mlflow server did not come up on {settings.url} (log {settings.mlflow_log}): "
                              + " | ".join(tail))
        time.sleep(0.5)
    status = http_status(f"{settings.url}/api/2.0/mlflow/users/get?username={settings.admin_username}",
                         auth=(settings.admin_username, admin_password))
    if status != 200:
        raise ServerError(f"the server on {settings.url} refused the admin login ({status}): the password in "
                          f"{settings.admin_password_file} (or MLFLOW_SERVER_ADMIN_PASSWORD) is not the admin's; "
                          "change it with the update-password API (docs/server.md)")
    return process.pid


def end_group(pgid: int, patience: float, poll: Callable[[], object] = lambda: None) -> None:
    """End process group `pgid`: SIGTERM, then SIGKILL for what is left after `patience` seconds (and up
    to 10 s more for it to go); `poll` reaps the group's leader meanwhile when it is our child."""
    for sig, wait in ((signal.SIGTERM, patience), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while group_members(pgid) and time.monotonic() < deadline:
            poll()
            time.sleep(0.2)
        if not group_members(pgid):
            break


def stop_mlflow(settings: ServerSettings, patience: float = 30.0) -> list[int]:
    """Stop the recorded `mlflow server` and its workers (its process group); return the PIDs ended."""
    pid = running_mlflow(settings)
    if pid is None:
        settings.mlflow_pid_file.unlink(missing_ok=True)
        return []
    members = group_members(pid) or [pid]
    end_group(pid, patience, lambda: _reap(pid))
    _reap(pid)
    settings.mlflow_pid_file.unlink(missing_ok=True)
    return members


def stop_postgres(settings: ServerSettings, patience: float = 60.0) -> list[int]:
    """Stop the recorded postmaster (fast shutdown: SIGINT); return the PIDs ended."""
    pid = running_postgres(settings)
    if pid is None:
        settings.postgres_pid_file.unlink(missing_ok=True)
        return []
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + patience
    while process_cmdline(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if process_cmdline(pid):
        raise ServerError(f"PostgreSQL (PID {pid}) did not stop within {patience:.0f} s; see {settings.postgres_log}")
    settings.postgres_pid_file.unlink(missing_ok=True)
    return [pid]


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process (tests start the server in-process)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# --- runners ---------------------------------------------------------------------------------------

def start(settings: ServerSettings, quiet: bool = False) -> dict:
    """Start what is not running yet: the cluster (created on first use), its databases, the server.
    Returns the URI, the admin credentials and the PIDs."""
    say = (lambda *_: None) if quiet else print
    user = service_user()
    admin_override = os.environ.get("MLFLOW_SERVER_ADMIN_PASSWORD")
    prepare_root(settings, user)
    db_password, _ = read_or_create_secret(settings.db_password_file)
    admin_password, admin_created = read_or_create_secret(settings.admin_password_file, admin_override)
    flask_secret, _ = read_or_create_secret(settings.flask_secret_file)
    if init_cluster(settings, db_password, user):
        say(f"server: created the PostgreSQL cluster {settings.pgdata} (owner {user or pwd.getpwuid(os.geteuid()).pw_name})")
    already = running_postgres(settings), running_mlflow(settings)
    postgres_pid = start_postgres(settings, user)
    created = ensure_databases(settings, db_password)
    if created:
        say(f"server: created databases {', '.join(created)}")
    mlflow_pid = start_mlflow(settings, db_password, admin_password, flask_secret)
    state = "already running" if all(already) else "started"
    say(f"server: MLflow tracking server {state} on {settings.url} (PostgreSQL PID {postgres_pid}, "
        f"mlflow PID {mlflow_pid}; logs {settings.root}/*.log)")
    if admin_created:
        say(f"server: admin user {settings.admin_username!r}, password {admin_password} "
            f"(shown once; kept in {settings.admin_password_file}, mode 600)")
    hint = ('"$MLFLOW_SERVER_ADMIN_PASSWORD"' if admin_override
            else f'"$(cat {shlex.quote(str(settings.admin_password_file))})"')
    say("Use it from this shell with:\n" + exports(settings, hint))
    return {"url": settings.url, "username": settings.admin_username, "password": admin_password,
            "postgres_pid": postgres_pid, "mlflow_pid": mlflow_pid, "store_uri": store_uri(settings)}


def stop(settings: ServerSettings, quiet: bool = False) -> list[int]:
    """Stop the server, then the cluster, by their recorded PIDs; return the PIDs ended."""
    ended = stop_mlflow(settings) + stop_postgres(settings)
    if not quiet:
        print(f"server: stopped PIDs {', '.join(map(str, ended))}" if ended else "server: nothing was running")
    return ended


def status(settings: ServerSettings) -> dict:
    """What runs, and whether the server answers."""
    mlflow_pid = running_mlflow(settings)
    return {"url": settings.url, "postgres_pid": running_postgres(settings), "mlflow_pid": mlflow_pid,
            "healthy": bool(mlflow_pid) and http_status(f"{settings.url}/health", timeout=5) == 200,
            "root": str(settings.root)}


# --- client side -----------------------------------------------------------------------------------

def check_tracking_server(uri: str, timeout: float = 10.0) -> None:
    """For an http(s) tracking URI: fail with one line when the server does not answer or refuses
    the credentials in MLFLOW_TRACKING_USERNAME/PASSWORD. Other stores are left alone."""
    if not uri.startswith(("http://", "https://")):
        return
    base = uri.rstrip("/")
    if http_status(f"{base}/health", timeout=timeout) != 200:
        raise SystemExit(f"error: the MLflow tracking server {uri} is not reachable: start it with `make server` "
                         "or point MLFLOW_TRACKING_URI at a running one")
    username, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    code = http_status(f"{base}/api/2.0/mlflow/experiments/search?max_results=1",
                       auth=(username, password) if username and password else None, timeout=timeout)
    if code == 401:
        raise SystemExit(f"error: the MLflow tracking server {uri} refused the login: export "
                         "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (make server prints them)")


def store_busy_message(exc: BaseException, uri: str) -> str | None:
    """One line for an embedded SQLite store locked by another process; None for any other error."""
    seen: set[int] = set()
    chain: BaseException | None = exc
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        if uri.startswith("sqlite:") and "database is locked" in str(chain):
            return (f"error: the SQLite store {uri} is busy with another training (database is locked): "
                    "run one `make train` at a time, or share a tracking server (make server, docs/server.md)")
        chain = chain.__cause__ or chain.__context__
    return None


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.tracking.server start|stop|status`."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.tracking.server", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    try:
        settings = settings_from_env()
        if args.action == "start":
            start(settings)
        elif args.action == "stop":
            stop(settings)
        else:
            print(json.dumps(status(settings), indent=2))
    except ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
