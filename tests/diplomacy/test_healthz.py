import socket

import pytest

pytestmark = pytest.mark.django_db


def _closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_healthz_is_ok_when_database_redis_and_a_worker_answer(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "celery": "ok"},
    }


def test_healthz_names_celery_when_no_worker_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["celery"]
    assert body["checks"]["celery"] == "down: no worker answered"
    assert body["checks"]["database"] == "ok"


def test_healthz_names_redis_when_it_is_unreachable(client, settings):
    settings.REDIS_URL = _closed_port_url()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis", "celery"]
    assert response.json()["checks"]["redis"].startswith("down: ")


def test_healthz_is_never_cached(client):
    assert "no-cache" in client.get("/healthz").headers["Cache-Control"]
