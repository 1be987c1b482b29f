"""CSV exports of searches (they round-trip through the importer) and the bulk downloads."""

import csv
import io
import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from cities.models import Bureau, Country, State
from opportunities import exports, importing, tasks
from opportunities.models import Listing, Status
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db

COMPARED_FIELDS = [
    "title", "kind", "summary", "body", "sponsor", "is_global", "audiences",
    "government_levels", "min_population", "max_population", "targets_underserved",
    "education_levels", "us_citizenship_required", "min_age", "max_age", "is_paid", "format",
    "duration", "opens_at", "deadline", "starts_at", "ends_at", "time_zone", "location",
    "apply_url", "apply_contact",
]  # fmt: skip


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


def described(listing: Listing) -> dict:
    return {
        **{name: getattr(listing, name) for name in COMPARED_FIELDS},
        "topics": sorted(t.slug for t in listing.topics.all()),
        "bureaus": sorted(b.code for b in listing.bureaus.all()),
        "countries": sorted(c.iso_code for c in listing.countries.all()),
        "target_states": sorted(s.usps_code for s in listing.target_states.all()),
    }


@pytest.fixture
def varied_listings(states):
    berlin = ZoneInfo("Europe/Berlin")
    fellowship = ListingFactory(
        title="Fellowship, with \"quotes\"; and commas", kind="fellowship",
        summary="Line one.\nLine two, with a comma.", body="**Bold** and é ü 中文",
        audiences=["students"], education_levels=["graduate", "recent_graduate"],
        us_citizenship_required=True, min_age=21, max_age=35, is_paid=True, format="hybrid",
        duration="10 weeks", opens_at=datetime(2030, 1, 5, 9, 30, tzinfo=berlin),
        deadline=datetime(2030, 3, 1, 17, 0, 0, 123456, tzinfo=berlin), time_zone="Europe/Berlin",
        location="Berlin, Germany", apply_url="", apply_contact="apply@example.org",
        topics=[topic("climate"), topic("energy")],
    )  # fmt: skip
    fellowship.bureaus.set(Bureau.objects.filter(code__in=["EUR", "WHA"]))
    fellowship.countries.set(Country.objects.filter(iso_code__in=["DE", "MX"]))
    event = ListingFactory(
        title="Global summit", kind="event", is_global=True, government_levels=["city", "county"],
        min_population=5000, max_population=100000, targets_underserved=True,
        starts_at=timezone.now() + timedelta(days=60), ends_at=timezone.now() + timedelta(days=62),
        deadline=None, time_zone="America/Chicago",
    )  # fmt: skip
    event.target_states.set(State.objects.filter(usps_code__in=["CO", "PR"]))
    return [fellowship, event]


def test_export_round_trips_through_the_bulk_importer(client, varied_listings):
    response = client.get("/opportunities/export.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows, problems = importing.read_csv(content(response).encode())
    assert problems == []
    report = importing.import_rows(rows, status=Status.DRAFT)
    assert report.ok, [str(p) for p in report.problems]
    originals = sorted(map(described, varied_listings), key=lambda d: d["title"])
    imported = sorted(map(described, report.created), key=lambda d: d["title"])
    assert imported == originals


FORMULAS = {
    "title": '=HYPERLINK("https://evil.example","Apply")',
    "summary": "+1 555 0100 for details",
    "body": "-2+3 cells",
    "sponsor": "@SUM(A1:A9)",
    "location": "\tTabbed place",
    "duration": "\rReturned",
}


def test_export_prefixes_cells_that_spreadsheets_would_run_as_formulas(client):
    ListingFactory(**FORMULAS)
    [row] = csv.DictReader(io.StringIO(content(client.get("/opportunities/export.csv"))))
    assert {name: row[name] for name in FORMULAS} == {
        name: "'" + value for name, value in FORMULAS.items()
    }


def test_prefixed_formula_cells_read_back_as_they_were_written(client):
    original = ListingFactory(**FORMULAS)
    rows, problems = importing.read_csv(content(client.get("/opportunities/export.csv")).encode())
    assert problems == []
    assert {name: rows[0][name] for name in FORMULAS} == FORMULAS
    assert importing.read_csv(importing.template_csv().encode())[0][0]["title"] == (
        "Example: Sister city exchange on clean water"
    )
    Listing.objects.filter(pk=original.pk).delete()
    report = importing.import_rows(rows, status=Status.DRAFT)
    assert report.ok, [str(p) for p in report.problems]
    [imported] = report.created
    # The importer trims spaces, tabs and line ends around every value, as it always has.
    assert {name: getattr(imported, name) for name in FORMULAS} == {
        name: value.strip() for name, value in FORMULAS.items()
    }


def test_bulk_csv_prefixes_formula_cells_too(bulk_dir):
    ListingFactory(**FORMULAS)
    exports.write_bulk_downloads()
    [row] = csv.DictReader(io.StringIO((bulk_dir / "listings.csv").read_text()))
    assert row["title"] == "'" + FORMULAS["title"]


def test_export_header_is_the_importers_columns(client):
    header = content(client.get("/opportunities/export.csv")).splitlines()[0]
    assert header.split(",") == importing.EXPORT_COLUMNS  # English names in any language


def test_export_has_every_page_of_the_filtered_results(client, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_PAGE_SIZE", 2)
    ListingFactory.create_batch(5, kind="event")
    ListingFactory(kind="funding", title="Not an event")
    rows = list(csv.DictReader(io.StringIO(content(client.get("/opportunities/export.csv",
                                                               {"kind": "event"})))))  # fmt: skip
    assert len(rows) == 5 and {row["kind"] for row in rows} == {"event"}
    api = client.get("/api/v1/listings/", {"kind": "event", "page_size": 100}).json()
    assert [row["title"] for row in rows] == [item["title"] for item in api["results"]]


def test_export_stops_at_the_documented_row_limit(client, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_ROW_LIMIT", 3)
    monkeypatch.setattr(exports, "EXPORT_PAGE_SIZE", 2)
    ListingFactory.create_batch(5)
    rows = list(csv.DictReader(io.StringIO(content(client.get("/opportunities/export.csv")))))
    assert len(rows) == 3


def test_exports_are_limited_per_address_with_retry_after(client):
    for _ in range(10):
        assert client.get("/opportunities/export.csv").status_code == 200
    response = client.get("/opportunities/export.csv")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many exports" in response.content.decode()


def test_export_queries_per_page_are_constant(client, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(exports, "EXPORT_PAGE_SIZE", 3)
    ListingFactory.create_batch(3)
    counts = []
    for _ in range(3):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            content(client.get("/opportunities/export.csv"))
        counts.append(len(queries.captured_queries))
        ListingFactory.create_batch(3)  # one more page next time
    per_page = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_page
    assert per_page <= 8


@pytest.fixture
def bulk_dir(tmp_path, monkeypatch, settings):
    folder = tmp_path / "downloads"
    monkeypatch.setenv("OPEN_DATA_DIR", str(folder))  # for the Celery worker process
    settings.OPEN_DATA_DIR = folder
    return folder


def test_beat_task_writes_the_bulk_files_through_a_real_worker(
    bulk_dir, transactional_db, celery_worker, client
):
    assert django_settings.CELERY_BEAT_SCHEDULE["write-bulk-downloads"]["task"] == (
        "opportunities.tasks.write_bulk_downloads"
    )
    ensure_curation_data()  # an earlier test's flush removed the topics
    ListingFactory.create_batch(3)
    ListingFactory(title="Draft", status="draft", published_at=None)
    tasks.write_bulk_downloads.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (bulk_dir / "listings.json").exists():
        time.sleep(0.2)
    data = json.loads(client.get("/about/data/listings.json").getvalue())
    assert data["count"] == 3 and len(data["listings"]) == 3
    assert "Draft" not in {item["title"] for item in data["listings"]}
    assert "public domain" in data["license"]
    csv_response = client.get("/about/data/listings.csv")
    assert csv_response["Content-Disposition"] == 'attachment; filename="listings.csv"'
    rows, problems = importing.read_csv(csv_response.getvalue())
    assert problems == [] and len(rows) == 3


def test_a_failed_write_keeps_the_previous_files(bulk_dir, monkeypatch):
    ListingFactory.create_batch(2)
    assert exports.write_bulk_downloads() == 2
    before = (bulk_dir / "listings.csv").read_bytes()
    ListingFactory()

    def broken(listing):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "listing_row", broken)
    with pytest.raises(OSError):
        exports.write_bulk_downloads()
    assert (bulk_dir / "listings.csv").read_bytes() == before
    assert sorted(path.name for path in bulk_dir.iterdir()) == ["listings.csv", "listings.json"]


def test_command_writes_the_files_and_says_how_many(bulk_dir, capsys):
    ListingFactory.create_batch(2)
    call_command("write_bulk_downloads")
    out = capsys.readouterr().out
    assert "with 2 published listing(s)" in out
    assert json.loads((bulk_dir / "listings.json").read_text())["count"] == 2


def test_command_reports_a_folder_it_cannot_write(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(Exception, match="Could not write"):
        call_command("write_bulk_downloads", folder=blocker / "downloads", verbosity=0)


def test_data_page_links_the_files_and_documents_fields_and_license(
    client, bulk_dir, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        html = client.get("/about/data/").content.decode()
    assert "being prepared" in html
    assert client.get("/about/data/listings.csv").status_code == 404
    exports.write_bulk_downloads()
    html = client.get("/about/data/").content.decode()
    assert 'href="/about/data/listings.csv"' in html and 'href="/about/data/listings.json"' in html
    for column in importing.EXPORT_COLUMNS:
        assert f"<code>{column}</code>" in html
    assert "public domain" in html and "GeoNames" in html
    assert "make 60 requests per minute" in html  # the documented anonymous limit
    assert 'href="/api/v1/docs/"' in html


def test_data_page_in_spanish(client):
    html = client.get("/es/about/data/").content.decode()
    assert "Datos abiertos" in html
