import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x7Qp2!vR9" * 6,
    "DJANGO_ALLOWED_HOSTS": "portal.example.gov",
}


def manage(*args, **env):
    # The browser tests' event-loop allowance is a test artefact, never a deployment setting.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_without_services_file(expression: str, **env) -> subprocess.CompletedProcess:
    """Print a settings expression as a machine without `make services`' var/services.env would
    see it (the environment alone: the test database and Redis, plus `env`)."""
    from django.conf import settings

    from tests.conftest import _test_database_url

    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") or k == "DJANGO_SETTINGS_MODULE"
    }
    code = (
        "import diplomacy.devservices as services; services.read_services_env = lambda: {}; "
        "from django.conf import settings; "
        f"print({expression})"
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "diplomacy.settings",
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_when_the_variable_is_absent(db):
    result = settings_without_services_file(
        "settings.DEBUG, settings.STAFF_TWO_FACTOR",
        DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


def test_a_missing_secret_key_never_falls_back_to_a_built_in_one(db):
    result = settings_without_services_file("settings.SECRET_KEY", DJANGO_DEBUG="true")
    assert result.returncode != 0, result.stdout
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_a_malformed_boolean_setting_is_named_in_the_error():
    result = manage("check", DJANGO_DEBUG="perhaps")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false, not 'perhaps'" in result.stderr


def test_a_database_other_than_postgresql_is_refused():
    result = manage("check", DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_deployment_checklist_passes_before_the_database_is_migrated(db):
    """Release pipelines run `check --deploy` before `migrate`: building the API schema for it
    must not need the tables."""
    import psycopg

    from tests.conftest import _test_database_url

    empty = "diplomacy_check_unmigrated"
    with psycopg.connect(_test_database_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {empty}")
        conn.execute(f"CREATE DATABASE {empty}")
    try:
        url = _test_database_url().rsplit("/", 1)[0] + f"/{empty}"
        result = manage(
            "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=url, **PRODUCTION
        )
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        with psycopg.connect(_test_database_url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {empty}")


def test_make_run_keeps_production_settings_except_https(db):
    """`make run` serves plain HTTP on loopback: DJANGO_HTTPS=false turns off only the HTTPS
    redirect, HSTS and secure cookies; debug pages stay off and static files stay hashed."""
    result = settings_without_services_file(
        "settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.STAFF_TWO_FACTOR, "
        "settings.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[1]",
        DJANGO_DEBUG="false",
        DJANGO_HTTPS="false",
        DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False False 0 False False True CompressedManifestStaticFilesStorage"
    )


def test_production_serves_https_only_by_default(db):
    result = settings_without_services_file(
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.SESSION_COOKIE_SECURE",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True 31536000 True"
