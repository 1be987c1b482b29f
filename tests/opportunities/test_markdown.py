import pytest

from opportunities.markdown import render_markdown
from tests.factories import ListingFactory
from tests.opportunities.test_workflow import staff


def test_headings_are_kept_below_the_pages_own_headings():
    html = render_markdown("# Top\n\n## Eligibility\n\n### Age\n\n#### Fine print\n\nText")
    assert "<h3>Top</h3>" in html
    assert "<h3>Eligibility</h3>" in html
    assert "<h4>Age</h4>" in html
    assert "<h5>Fine print</h5>" in html
    assert "<h1" not in html and "<h2" not in html


def test_scripts_images_and_unsafe_links_are_removed():
    html = render_markdown(
        "<script>alert(1)</script>\n\n![x](https://e.gov/x.png) [a](javascript:alert(1))"
    )
    assert "<script" not in html and "<img" not in html and "javascript:" not in html


@pytest.mark.django_db
def test_the_body_field_says_what_markdown_is_allowed(client):
    staff(client, "curator", "Curator")
    html = client.get("/admin/opportunities/listing/add/").content.decode()
    assert "## for a section" in html
    assert "Images, tables and raw HTML are not shown" in html


@pytest.mark.django_db
def test_the_detail_page_shows_a_body_heading(client):
    listing = ListingFactory(body="## How it works\n\nCities pair up.")
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "<h3>How it works</h3>" in html
