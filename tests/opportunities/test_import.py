import csv
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from opportunities import importing
from opportunities.models import Listing, Status
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

HEADER = ["title", "kind", "summary", "sponsor", "topics", "regions", "deadline", "apply_url"]


def csv_bytes(*rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


GOOD = [
    ["Water exchange", "exchange", "Cities share water ideas.", "State", "water-and-sanitation",
     "WHA", "2027-03-31", "https://example.gov/water"],
    ["Democracy grant", "funding", "Money for civic projects.", "State", "democracy-and-governance",
     "global", "", "https://example.gov/grant"],
]  # fmt: skip


def run_import(data, **kwargs):
    rows, problems = importing.read_csv(data)
    assert problems == []
    return importing.import_rows(rows, **kwargs)


def test_valid_rows_are_imported_as_drafts_with_their_relations(states):
    report = run_import(csv_bytes(*GOOD))
    assert report.ok and len(report.created) == 2
    water = Listing.objects.get(title="Water exchange")
    assert water.status == Status.DRAFT
    assert list(water.topics.values_list("slug", flat=True)) == ["water-and-sanitation"]
    assert list(water.bureaus.values_list("code", flat=True)) == ["WHA"]
    # A date means the end of that day in the listing's time zone (Eastern by default).
    assert water.deadline.isoformat() == "2027-04-01T03:59:59.999999+00:00"
    assert Listing.objects.get(title="Democracy grant").is_global
    assert water.history.latest().history_change_reason == "Imported"


def test_one_bad_row_imports_nothing_and_each_problem_names_its_line(states):
    bad = [
        ["", "rocket", "x", "State", "climate;unknown-topic", "WHA", "31/03/2027", ""],
        ["Event", "event", "Ends before it starts.", "State", "climate", "", "", "https://e.gov"],
    ]
    report = run_import(csv_bytes(GOOD[0], *bad))
    assert not report.ok
    assert Listing.objects.count() == 0
    messages = [str(p) for p in report.problems]
    assert "line 3, column title: This column is required." in messages
    assert any(m.startswith("line 3, column kind: Unknown kind “rocket”") for m in messages)
    assert "line 3, column topics: Unknown value “unknown-topic”." in messages
    assert any(
        m.startswith("line 3, column deadline: “31/03/2027” is not a date") for m in messages
    )
    assert any(m.startswith("line 3") and "how to apply" in m for m in messages)
    assert report.summary().startswith("Nothing was imported")


def test_likely_duplicates_are_flagged(states):
    ListingFactory(title="Water exchange program", apply_url="https://example.gov/existing")
    rows = [
        ["Water exchange programs", "exchange", "Same thing.", "State", "climate", "", "",
         "https://example.gov/new"],
        ["Another", "exchange", "Other thing.", "State", "climate", "", "",
         "https://example.gov/existing"],
    ]  # fmt: skip
    report = run_import(csv_bytes(*rows))
    assert report.ok
    found = {(d.line, d.column) for d in report.duplicates}
    assert found == {(2, "title"), (3, "apply_url")}


def test_unknown_columns_and_wrong_encoding_are_reported():
    _, problems = importing.read_csv(csv_bytes(GOOD[0] + ["x"], header=[*HEADER, "colour"]))
    assert [str(p) for p in problems] == ["line 1, column colour: Unknown column."]
    _, problems = importing.read_csv("title\nCafé".encode("latin-1"))
    assert "not UTF-8" in str(problems[0])


def test_the_downloadable_template_imports_cleanly(states):
    report = run_import(importing.template_csv().encode())
    assert report.ok and len(report.created) == 1


def test_staff_upload_a_file_in_the_admin(client, states):
    user = User.objects.create_user("curator", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Curator"))
    client.force_login(user)
    assert "Import from CSV" in client.get("/admin/opportunities/listing/").content.decode()
    upload = io.BytesIO(csv_bytes(*GOOD))
    upload.name = "listings.csv"
    response = client.post("/admin/opportunities/listing/import/", {"csv_file": upload},
                           follow=True)  # fmt: skip
    assert "Imported 2 listing(s)" in response.content.decode()
    assert Listing.objects.filter(created_by=user).count() == 2


def test_the_admin_shows_every_problem_and_imports_nothing(client, states):
    user = User.objects.create_user("curator", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Curator"))
    client.force_login(user)
    upload = io.BytesIO(csv_bytes(GOOD[0], ["", "exchange", "", "", "", "", "", ""]))
    upload.name = "listings.csv"
    response = client.post("/admin/opportunities/listing/import/", {"csv_file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "line 3, column title: This column is required." in html
    assert Listing.objects.count() == 0


def test_import_command_reports_problems_clearly(tmp_path, states):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(["", "exchange", "", "", "", "", "", ""]))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_listings", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_listings", str(tmp_path / "missing.csv"))


def test_demo_content_loads_and_is_idempotent(states):
    call_command("load_demo_listings", verbosity=0)
    assert Listing.objects.published().count() >= 40
    count = Listing.objects.count()  # past events are loaded archived
    call_command("load_demo_listings", verbosity=0)
    assert Listing.objects.count() == count
    titles = set(Listing.objects.values_list("title", flat=True))
    for name in ["Virtual Student Federal Service", "Fulbright", "Gilman", "Critical Language",
                 "SelectUSA", "Sister Cities International", "C40", "ICLEI"]:  # fmt: skip
        assert any(name in title for title in titles), name
