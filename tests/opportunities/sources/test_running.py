"""How syncs run: the management command with its summary, beat's due sources, and the
sources a fresh database starts with (disabled, so `make run` needs no network)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from opportunities.models import Listing, RunStatus, Source
from opportunities.sources.syncing import sync_due_sources
from opportunities.tasks import sync_due_sources as sync_due_sources_task

pytestmark = pytest.mark.django_db


def test_command_syncs_a_source_and_prints_a_one_line_summary(grants_gov, grants_source, capsys):
    call_command("sync_sources", "Grants.gov")

    out = capsys.readouterr().out
    assert out == "Grants.gov: 2 seen, 2 new, 0 changed, 0 closed, 0 skipped.\n"
    assert Listing.objects.count() == 2


def test_command_reports_a_failed_source_and_exits_with_an_error(
    sources_settings, grants_source, httpserver
):
    httpserver.expect_request("/v1/api/search2").respond_with_data("Down", status=503)

    with pytest.raises(CommandError, match="1 of 1 source"):
        call_command("sync_sources", "Grants.gov")


def test_command_names_the_sources_when_one_is_unknown(grants_source):
    with pytest.raises(CommandError, match="the sources are: Grants.gov"):
        call_command("sync_sources", "Grants.go")


def test_beat_runs_only_enabled_sources_that_are_due(grants_gov, grants_source):
    Source.objects.create(name="Paused feed", kind="feed", endpoint="https://e.example.org/rss")
    later = Source.objects.create(
        name="Later feed",
        kind="feed",
        endpoint="https://e.example.org/rss",
        enabled=True,
        next_run_at=timezone.now() + timedelta(hours=3),
    )

    runs = sync_due_sources()

    assert [run.source for run in runs] == [grants_source]
    assert not later.runs.exists()
    grants_source.refresh_from_db()
    assert grants_source.next_run_at > timezone.now() + timedelta(hours=23)


def test_beat_task_returns_how_many_sources_ran(grants_gov, grants_source):
    assert sync_due_sources_task() == 1
    assert grants_source.runs.get().status == RunStatus.SUCCEEDED


def test_a_fresh_database_has_grants_gov_disabled():
    source = Source.objects.get(name="Grants.gov")

    assert source.kind == "grants_gov"
    assert not source.enabled
    assert not sync_due_sources()


def test_creating_the_sources_again_is_harmless():
    migration = importlib.import_module("opportunities.migrations.0010_sources")
    migration.create_sources(apps, None)

    assert Source.objects.filter(name="Grants.gov").count() == 1


def test_enable_turns_a_source_on_and_runs_it_in_one_step(grants_gov, capsys):
    call_command("sync_sources", "--enable", "Grants.gov")

    assert Source.objects.get(name="Grants.gov").enabled
    assert "Enabled Grants.gov." in capsys.readouterr().out
    assert Listing.objects.count() == 2


def test_a_source_claimed_by_a_running_beat_is_not_started_again(grants_gov, grants_source):
    now = timezone.now()
    Source.objects.filter(pk=grants_source.pk).update(next_run_at=now + timedelta(days=1))

    assert sync_due_sources(now) == []
