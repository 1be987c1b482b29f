"""Imported listings show their source and "last checked" on the public page, the API exposes
`source` and `external_id`, and the open-data page lists the sources."""

import pytest

from opportunities.models import Listing, Source, Status
from opportunities.sources.syncing import sync_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(grants_gov, grants_source):
    sync_source(grants_source)
    Listing.objects.filter(external_id="DOS-SCD-27-001").update(status=Status.PUBLISHED)
    return Listing.objects.get(external_id="DOS-SCD-27-001")


def test_public_page_shows_the_source_and_when_it_was_last_checked(client, published):
    html = client.get(published.get_absolute_url()).content.decode()

    assert "Imported from Grants.gov (DOS-SCD-27-001)." in html
    assert "Last checked" in html


def test_page_of_a_listing_made_by_staff_names_no_source(client, published):
    published.source = None
    published.external_id = ""
    published.save()

    html = client.get(published.get_absolute_url()).content.decode()

    assert "Imported from" not in html


def test_api_exposes_source_and_external_id(client, published):
    data = client.get(f"/api/v1/listings/{published.slug}/").json()

    assert data["source"] == "Grants.gov"
    assert data["external_id"] == "DOS-SCD-27-001"


def test_api_list_of_imported_listings_takes_a_constant_number_of_queries(
    client, published, django_assert_max_num_queries
):
    Listing.objects.filter(source__isnull=False).update(status=Status.PUBLISHED)
    with django_assert_max_num_queries(12):
        data = client.get("/api/v1/listings/").json()

    assert {row["source"] for row in data["results"]} == {"Grants.gov"}


def test_open_data_page_lists_the_sources(client, grants_source):
    Source.objects.create(name="Embassy events", kind="feed", endpoint="https://e.example.org/ics")

    html = client.get("/about/data/").content.decode()

    assert "Where imported listings come from" in html
    assert "Grants.gov" in html and "daily" in html
    assert "Embassy events" in html and "paused" in html
