"""Sources in the admin: health, enabling, running now, and publishers deciding on upstream
changes; every action is a POST with the CSRF token and needs its permission."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from opportunities.models import ChangeStatus, Listing, Source, Status, UpstreamChange
from opportunities.sources.syncing import sync_source

pytestmark = pytest.mark.django_db


def staff(client, group: str) -> User:
    user = User.objects.create_user(group.lower(), password="x" * 20, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def pending_change(grants_gov, grants_source):
    sync_source(grants_source)
    Listing.objects.filter(external_id="DOS-SCD-27-001").update(status=Status.PUBLISHED)
    grants_gov.synopsis(350001)["responseDate"] = "Apr 30, 2027 12:00:00 AM EDT"
    sync_source(grants_source)
    return UpstreamChange.objects.get()


def act(client, model: str, action: str, pks: list[int]):
    return client.post(
        f"/admin/opportunities/{model}/", {"action": action, "_selected_action": pks}, follow=True
    )


def test_source_page_shows_health_and_recent_runs(client, grants_gov, grants_source):
    sync_source(grants_source)
    staff(client, "Curator")

    html = client.get(f"/admin/opportunities/source/{grants_source.pk}/change/").content.decode()

    assert "Grants.gov: 2 seen, 2 new, 0 changed, 0 closed, 0 skipped" in html
    assert "2 new drafts" in html


def test_publisher_accepts_an_upstream_change_and_the_listing_takes_it(client, pending_change):
    publisher = staff(client, "Publisher")

    response = act(client, "upstreamchange", "accept", [pending_change.pk])

    assert "Applied 1 change(s)." in response.content.decode()
    pending_change.refresh_from_db()
    assert (pending_change.status, pending_change.decided_by) == (ChangeStatus.ACCEPTED, publisher)
    listing = pending_change.listing
    listing.refresh_from_db()
    assert listing.deadline.isoformat().startswith("2027-05-01T03:59:59")  # Apr 30 in New York
    assert listing.history.first().history_user == publisher


def test_publisher_rejects_an_upstream_change_and_the_listing_keeps_ours(client, pending_change):
    staff(client, "Publisher")
    deadline = pending_change.listing.deadline

    act(client, "upstreamchange", "reject", [pending_change.pk])

    pending_change.refresh_from_db()
    assert pending_change.status == ChangeStatus.REJECTED
    assert Listing.objects.get(pk=pending_change.listing_id).deadline == deadline


def test_curator_cannot_accept_upstream_changes(client, pending_change):
    staff(client, "Curator")

    response = act(client, "upstreamchange", "accept", [pending_change.pk])

    assert "Applied" not in response.content.decode()
    pending_change.refresh_from_db()
    assert pending_change.status == ChangeStatus.PENDING


def test_change_page_shows_ours_and_upstreams_values(client, pending_change):
    staff(client, "Curator")

    html = client.get(
        f"/admin/opportunities/upstreamchange/{pending_change.pk}/change/"
    ).content.decode()

    assert "<td>deadline</td>" in html
    assert "2027-04-30T23:59:59-04:00" in html


def test_publisher_enables_a_source_by_post(client, grants_source):
    grants_source.enabled = False
    grants_source.save()
    staff(client, "Publisher")

    act(client, "source", "enable", [grants_source.pk])

    grants_source.refresh_from_db()
    assert grants_source.enabled


def test_actions_need_the_csrf_token(grants_source):
    grants_source.enabled = False
    grants_source.save()
    client = Client(enforce_csrf_checks=True)
    staff(client, "Publisher")

    response = act(client, "source", "enable", [grants_source.pk])

    assert response.status_code == 403
    grants_source.refresh_from_db()
    assert not grants_source.enabled


def test_run_now_needs_the_run_permission(client, grants_source):
    user = staff(client, "Curator")
    user.user_permissions.add(Permission.objects.get(codename="change_source"))

    response = act(client, "source", "run_now", [grants_source.pk])

    assert "Queued" not in response.content.decode()


def test_mapping_with_an_unknown_topic_or_kind_is_refused_in_words(client, grants_source):
    staff(client, "Publisher")
    url = f"/admin/opportunities/source/{grants_source.pk}/change/"
    form = {
        "name": "Grants.gov",
        "kind": "grants_gov",
        "endpoint": "",
        "enabled": "on",
        "query": "{}",
        "mapping": '{"kind": "grant", "topics": ["space-travel"]}',
        "interval": "1 00:00:00",
        "next_run_at_0": "",
        "next_run_at_1": "",
    }

    response = client.post(url, form)

    html = response.content.decode()
    assert response.status_code == 200
    assert "unknown kind “grant”" in html
    assert "unknown topic “space-travel”" in html
    assert Source.objects.get(pk=grants_source.pk).mapping != {"kind": "grant"}


def test_review_link_opens_the_sources_new_drafts(client, grants_gov, grants_source):
    sync_source(grants_source)
    staff(client, "Curator")

    response = client.get(
        f"/admin/opportunities/listing/?source__exact={grants_source.pk}&status__exact=draft"
    )

    assert response.status_code == 200
    assert "Sister City Partnerships for Climate Resilience" in response.content.decode()


def test_imported_draft_says_where_it_came_from_on_its_admin_page(client, pending_change):
    staff(client, "Curator")

    html = client.get(
        f"/admin/opportunities/listing/{pending_change.listing_id}/change/"
    ).content.decode()

    assert "Imported from Grants.gov, DOS-SCD-27-001; fetched at " in html
    assert "Upstream has changed it: see the differences." in html


def test_run_now_says_so_when_the_task_queue_is_unreachable(client, transactional_db, settings):
    from diplomacy.celery import app as celery_app
    from tests.conftest import ensure_curation_data
    from tests.diplomacy.test_unavailable import _free_port

    ensure_curation_data()  # a committing test: the data migration's groups and sources
    staff(client, "Publisher")
    source = Source.objects.get(name="Grants.gov")

    def use_broker(url: str) -> None:
        # Celery keeps its connection and producer pools; forget them so the new URL is used.
        celery_app.conf.broker_url = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    use_broker(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    try:
        response = act(client, "source", "run_now", [source.pk])
    finally:
        use_broker(settings.CELERY_BROKER_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The task queue cannot be reached; nothing was queued." in html
    assert "Queued" not in html
