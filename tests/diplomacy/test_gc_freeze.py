"""A web process freezes its long-lived objects out of the collector's full passes once warm."""

import gc

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_after_its_warm_up_a_process_keeps_its_objects_out_of_full_collections(settings, unfrozen):
    settings.GC_FREEZE_AFTER = 3
    client = Client()  # a new handler reads the setting, as a new worker process does
    for _ in range(2):
        assert client.get("/about/").status_code == 200
    assert gc.get_freeze_count() == 0
    assert client.get("/about/").status_code == 200
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django's modules, URL patterns, templates
    client.get("/about/")
    assert gc.get_freeze_count() <= frozen  # once only (freed objects leave it)


def test_zero_never_freezes(settings, unfrozen):
    settings.GC_FREEZE_AFTER = 0
    client = Client()
    for _ in range(3):
        client.get("/about/")
    assert gc.get_freeze_count() == 0
