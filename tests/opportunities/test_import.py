import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command
from django.utils import translation

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
    # In English whatever language an earlier test left active (test_exports leaves Spanish).
    with translation.override("en"):
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


IMPORT = "/admin/opportunities/listing/import/"


def curator(client):
    user = User.objects.create_user("curator", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Curator"))
    client.force_login(user)
    return user


def upload(client, data):
    file = io.BytesIO(data)
    file.name = "listings.csv"
    return client.post(IMPORT, {"csv_file": file})


def token_of(response) -> str:
    html = response.content.decode()
    start = html.index('name="token" value="') + len('name="token" value="')
    return html[start : html.index('"', start)]


def test_staff_upload_a_file_preview_it_then_confirm(client, states):
    user = curator(client)
    assert "Import from CSV" in client.get("/admin/opportunities/listing/").content.decode()
    preview = upload(client, csv_bytes(*GOOD))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Nothing is imported yet: 2 listing(s) would be created, 0 updated" in html
    assert Listing.objects.count() == 0
    response = client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)}, follow=True)
    assert "Imported 2 listing(s)" in response.content.decode()
    assert Listing.objects.filter(created_by=user).count() == 2


def test_the_preview_flags_a_duplicate_and_skips_it_unless_kept(client, states):
    curator(client)
    ListingFactory(title="Old water exchange", apply_url="https://example.gov/water")
    preview = upload(client, csv_bytes(*GOOD))
    html = preview.content.decode()
    assert "1 listing(s) would be created, 0 updated and 1 skipped" in html
    assert "Same address as “Old water exchange”." in html
    assert 'name="keep" value="2"' in html
    client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)})
    assert set(Listing.objects.values_list("title", flat=True)) == {
        "Old water exchange",
        "Democracy grant",
    }

    Listing.objects.filter(title="Democracy grant").delete()
    preview = upload(client, csv_bytes(*GOOD))
    client.post(IMPORT, {"confirm": "yes", "token": token_of(preview), "keep": ["2"]})
    assert Listing.objects.filter(title="Water exchange").exists()


def test_a_confirmed_preview_cannot_be_imported_twice(client, states):
    curator(client)
    preview = upload(client, csv_bytes(*GOOD))
    client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)})
    again = client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)})
    assert again.status_code == 400
    assert "That preview has expired; upload the file again." in again.content.decode()
    assert Listing.objects.count() == 2


def test_another_user_cannot_confirm_someone_elses_preview(client, states):
    curator(client)
    preview = upload(client, csv_bytes(*GOOD))
    other = User.objects.create_user("other", is_staff=True)
    other.groups.add(Group.objects.get(name="Curator"))
    client.force_login(other)
    assert client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)}).status_code == 400
    assert Listing.objects.count() == 0


def test_a_row_with_the_slug_of_a_draft_updates_it(client, states):
    curator(client)
    draft = ListingFactory(status=Status.DRAFT, published_at=None, slug="water-exchange",
                           title="Water exchange (old)")  # fmt: skip
    data = csv_bytes(["water-exchange", *GOOD[0]], header=["slug", *HEADER])
    preview = upload(client, data)
    assert "0 listing(s) would be created, 1 updated" in preview.content.decode()
    client.post(IMPORT, {"confirm": "yes", "token": token_of(preview)})
    draft.refresh_from_db()
    assert draft.title == "Water exchange" and draft.status == Status.DRAFT
    assert list(draft.topics.values_list("slug", flat=True)) == ["water-and-sanitation"]
    assert draft.history.latest().history_change_reason == "Updated by import"
    assert Listing.objects.count() == 1


def test_a_row_cannot_update_a_published_listing(states):
    ListingFactory(slug="water-exchange")
    report = run_import(csv_bytes(["water-exchange", *GOOD[0]], header=["slug", *HEADER]))
    assert [str(p) for p in report.problems] == [
        "line 2, column slug: “water-exchange” is published; only drafts are updated by an "
        "import (change it in the admin, where review applies)."
    ]


def test_the_admin_shows_every_problem_and_imports_nothing(client, states):
    curator(client)
    response = upload(client, csv_bytes(GOOD[0], ["", "exchange", "", "", "", "", "", ""]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "line 3, column title: This column is required." in html
    assert Listing.objects.count() == 0


def test_staff_who_cannot_add_listings_cannot_import(client, states):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_listing"))
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    assert upload(client, csv_bytes(*GOOD)).status_code == 403
    assert Listing.objects.count() == 0


def test_import_command_dry_run_saves_nothing(tmp_path, states, capsys):
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes(*GOOD))
    call_command("import_listings", str(path), "--dry-run")
    assert "Nothing is imported yet: 2 listing(s) would be created" in capsys.readouterr().out
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
