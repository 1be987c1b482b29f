"""Grants.gov through search2 and fetchOpportunity: drafts with provenance, eligibility and
deadlines, idempotent reruns, upstream changes and closings."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from opportunities.models import ChangeStatus, Listing, RunStatus, Status, UpstreamChange
from opportunities.sources.syncing import sync_source
from tests.opportunities.sources.conftest import snapshot

pytestmark = pytest.mark.django_db


def listing(number: str) -> Listing:
    return Listing.objects.get(external_id=number)


def local_day(listing: Listing) -> str:
    return listing.deadline.astimezone(ZoneInfo(listing.time_zone)).date().isoformat()


def test_first_run_creates_drafts_marked_with_their_provenance(grants_gov, grants_source):
    run = sync_source(grants_source)

    assert run.status == RunStatus.SUCCEEDED
    assert (run.seen, run.new, run.changed, run.closed) == (2, 2, 0, 0)
    grant = listing("DOS-SCD-27-001")
    assert grant.status == Status.DRAFT
    assert grant.source == grants_source
    assert grant.title == "Sister City Partnerships for Climate Resilience"
    assert grant.sponsor == "U.S. Department of State"
    assert grant.kind == "funding"
    assert grant.audiences == ["local_government"]
    assert set(grant.topics.values_list("slug", flat=True)) == {"trade-and-investment", "climate"}
    assert grant.apply_url == "https://www.grants.gov/search-results-detail/350001"
    reason = grant.history.get().history_change_reason
    assert reason.startswith("From Grants.gov, opportunity DOS-SCD-27-001, fetched at ")


def test_search_asks_for_the_configured_agencies_keywords_and_government_eligibility(
    grants_gov, grants_source
):
    sync_source(grants_source)

    body = grants_gov.requests[0].get_json()
    assert body["agencies"] == "DOS|USTDA"
    assert body["keyword"] == "sister city"
    assert body["oppStatuses"] == "posted|forecasted"
    assert body["eligibilities"] == "00|01|02|04|07|11"


def test_eligibility_codes_become_government_levels(grants_gov, grants_source):
    sync_source(grants_source)

    assert listing("DOS-SCD-27-001").government_levels == ["city", "county"]
    assert listing("USTDA-27-CITY-002").government_levels == ["state", "tribal", "territory"]


def test_close_date_is_the_deadline_at_the_end_of_the_day_in_the_agencys_zone(
    grants_gov, grants_source
):
    grants_gov.synopsis(350001)["responseDateDesc"] = "Due by 5:00 PM Central Time."
    sync_source(grants_source)

    grant = listing("DOS-SCD-27-001")
    assert grant.time_zone == "America/Chicago"
    assert grant.deadline == datetime(2027, 3, 31, 17, 0, tzinfo=ZoneInfo("America/Chicago"))
    forecast = listing("USTDA-27-CITY-002")  # stamped PDT, no explanation
    assert forecast.time_zone == "America/Los_Angeles"
    assert forecast.deadline == datetime(
        2027, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert forecast.summary.startswith("Forecast: ")


def test_second_identical_run_changes_nothing(grants_gov, grants_source):
    sync_source(grants_source)
    before = [row[:5] + row[6:] for row in snapshot()]
    history = Listing.history.count()

    run = sync_source(grants_source)

    assert (run.seen, run.new, run.changed, run.closed) == (2, 0, 0, 0)
    assert [row[:5] + row[6:] for row in snapshot()] == before
    assert Listing.history.count() == history


def test_upstream_change_is_applied_to_a_draft_with_a_history_entry(grants_gov, grants_source):
    sync_source(grants_source)
    grants_gov.synopsis(350001)["responseDate"] = "Apr 30, 2027 12:00:00 AM EDT"

    run = sync_source(grants_source)

    assert run.changed == 1
    grant = listing("DOS-SCD-27-001")
    assert local_day(grant) == "2027-04-30"
    assert "deadline" in grant.history.first().history_change_reason


def test_upstream_change_to_a_published_listing_waits_for_a_publisher(grants_gov, grants_source):
    sync_source(grants_source)
    Listing.objects.filter(external_id="DOS-SCD-27-001").update(status=Status.PUBLISHED)
    grants_gov.hits[0]["title"] = "Sister City Partnerships for Climate Adaptation"
    grants_gov.details[350001]["data"]["opportunityTitle"] = (
        "Sister City Partnerships for Climate Adaptation"
    )

    sync_source(grants_source)

    grant = listing("DOS-SCD-27-001")
    assert grant.title == "Sister City Partnerships for Climate Resilience"
    change = UpstreamChange.objects.get(listing=grant)
    assert change.status == ChangeStatus.PENDING
    assert change.differences == {
        "title": [
            "Sister City Partnerships for Climate Resilience",
            "Sister City Partnerships for Climate Adaptation",
        ]
    }


def test_trusted_source_changes_a_published_listing_directly(grants_gov, grants_source):
    grants_source.trusted = True
    grants_source.save()
    sync_source(grants_source)
    Listing.objects.filter(external_id="DOS-SCD-27-001").update(status=Status.PUBLISHED)
    grants_gov.synopsis(350001)["responseDate"] = "Apr 30, 2027 12:00:00 AM EDT"

    sync_source(grants_source)

    assert local_day(listing("DOS-SCD-27-001")) == "2027-04-30"
    assert not UpstreamChange.objects.exists()


def test_staff_edits_to_fields_upstream_did_not_change_are_kept(grants_gov, grants_source):
    sync_source(grants_source)
    grant = listing("DOS-SCD-27-001")
    grant.summary = "Staff wrote a plainer summary."
    grant.save()
    grants_gov.synopsis(350001)["responseDate"] = "Apr 30, 2027 12:00:00 AM EDT"

    sync_source(grants_source)

    grant.refresh_from_db()
    assert grant.summary == "Staff wrote a plainer summary."
    assert local_day(grant) == "2027-04-30"


def test_opportunity_closed_upstream_is_archived_with_a_history_entry(grants_gov, grants_source):
    sync_source(grants_source)
    grants_gov.hits[0]["oppStatus"] = "closed"

    run = sync_source(grants_source)

    assert run.closed == 1
    grant = listing("DOS-SCD-27-001")
    assert grant.status == Status.ARCHIVED
    assert grant.history.first().history_change_reason.startswith("Closed or withdrawn upstream")


def test_opportunity_withdrawn_from_grants_gov_is_archived(grants_gov, grants_source):
    sync_source(grants_source)
    grants_gov.set_hits(grants_gov.hits[1:])

    run = sync_source(grants_source)

    assert run.closed == 1
    assert listing("DOS-SCD-27-001").status == Status.ARCHIVED
    assert listing("USTDA-27-CITY-002").status == Status.DRAFT


def test_requests_carry_the_portals_user_agent(grants_gov, grants_source, settings):
    sync_source(grants_source)

    agents = {request.headers["User-Agent"] for request in grants_gov.requests}
    assert agents == {settings.SOURCES_USER_AGENT}
    assert "SubnationalDiplomacyPortal" in settings.SOURCES_USER_AGENT


def test_changes_upstream_makes_before_a_publisher_decides_add_up(grants_gov, grants_source):
    sync_source(grants_source)
    Listing.objects.filter(external_id="DOS-SCD-27-001").update(status=Status.PUBLISHED)
    grants_gov.synopsis(350001)["responseDate"] = "Apr 30, 2027 12:00:00 AM EDT"
    sync_source(grants_source)
    grants_gov.synopsis(350001)["agencyName"] = "U.S. Department of State, Office of Cities"

    sync_source(grants_source)

    change = UpstreamChange.objects.get()
    assert set(change.differences) == {"deadline", "sponsor"}
    assert change.differences["deadline"][1].startswith("2027-04-30T23:59:59")


def test_opportunity_that_cannot_be_read_is_skipped_not_archived(grants_gov, grants_source):
    sync_source(grants_source)
    grants_gov.synopsis(350001)["responseDate"] = "to be announced"

    run = sync_source(grants_source)

    assert (run.skipped, run.closed) == (1, 0)
    assert listing("DOS-SCD-27-001").status == Status.DRAFT


def test_sponsor_named_by_the_source_stays_when_upstream_renames_the_agency(
    grants_gov, grants_source
):
    grants_source.mapping = {**grants_source.mapping, "sponsor": "Office of Subnational Diplomacy"}
    grants_source.save()
    sync_source(grants_source)
    grants_gov.synopsis(350001)["agencyName"] = "Department of State (renamed)"

    sync_source(grants_source)

    assert listing("DOS-SCD-27-001").sponsor == "Office of Subnational Diplomacy"
