import csv

import pytest
from django.core.management import call_command

from cities import reference, ties_data
from cities.models import Country, SisterCity

pytestmark = pytest.mark.django_db

ROWS = [
    # us_state, us_place, kind, partner_name, partner_country, year, source_url
    ("CO", "Boulder", "sister_city", "Kisumu", "KE", "", "https://example.org/boulder"),
    ("CO", "Boulder", "friendship_city", "Yamagata", "JP", "1994", "https://example.org/boulder"),
    ("CO", "", "sister_state", "Jalisco", "MX", "", "https://example.org/colorado"),
    ("CO", "Boulder", "sister_city", "Lhasa", "CN", "", ""),
    ("CO", "Nowhereville", "sister_city", "Nice", "FR", "", "https://example.org/nowhere"),
    ("CO", "Boulder", "sister_city", "Atlantis", "ZZ", "", "https://example.org/boulder"),
]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(ties_data.COLUMNS)
        for row in rows:
            writer.writerow([*row, "A page about the tie"])
    return path


@pytest.fixture
def ties_csv(tmp_path, boulder):
    return write_csv(tmp_path / "ties.csv", ROWS)


def load(path, capsys=None) -> str:
    call_command("load_ties", "--file", str(path), verbosity=0)
    return capsys.readouterr() if capsys else ""


def test_every_shipped_row_names_a_source_url():
    rows = ties_data.read_rows()
    assert rows
    missing = [i for i, row in enumerate(rows, start=2) if not row["source_url"]]
    assert missing == []
    assert all(row["source_url"].startswith(("https://", "http://")) for row in rows)


def test_every_shipped_line_has_exactly_the_columns_of_the_header():
    # An unquoted comma in a title or URL shifts the fields; the loader would silently
    # drop the overflow and keep a truncated title.
    with open(ties_data.TIES_CSV, newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ties_data.COLUMNS
    wrong = [i for i, line in enumerate(lines, start=1) if len(line) != len(ties_data.COLUMNS)]
    assert wrong == []


def test_command_loads_the_rows_and_reports_those_without_source_or_known_place(
    ties_csv, boulder, capsys
):
    out, err = load(ties_csv, capsys)

    assert "Ties: 3 loaded, 0 updated, 0 unchanged, 0 kept as staff edited them, 3 skipped" in out
    assert "1 no source URL" in out and "1 unknown place" in out and "1 unknown country" in out
    assert "line 5: no source URL: Lhasa (Boulder)" in err
    assert "line 6: unknown place: Nowhereville, CO" in err
    kisumu = SisterCity.objects.get(place=boulder, city="Kisumu")
    assert kisumu.kind == SisterCity.Kind.SISTER
    assert kisumu.source_url == "https://example.org/boulder"
    assert kisumu.source_title == "A page about the tie"
    assert SisterCity.objects.get(city="Yamagata").since == 1994
    jalisco = SisterCity.objects.get(city="Jalisco")
    assert (jalisco.state.usps_code, jalisco.place, jalisco.kind) == ("CO", None, "sister_state")
    assert not SisterCity.objects.filter(city__in=["Lhasa", "Nice", "Atlantis"]).exists()


def test_loading_twice_changes_nothing(ties_csv, capsys):
    load(ties_csv)
    before = list(SisterCity.objects.order_by("pk").values())

    out, _ = load(ties_csv, capsys)

    assert "0 loaded, 0 updated, 3 unchanged" in out
    assert list(SisterCity.objects.order_by("pk").values()) == before


def test_a_corrected_row_in_the_data_set_updates_the_tie_it_loaded(tmp_path, boulder, capsys):
    load(write_csv(tmp_path / "ties.csv", ROWS[:1]))
    corrected = [(*ROWS[0][:5], "2010", "https://example.org/better")]

    out, _ = load(write_csv(tmp_path / "ties.csv", corrected), capsys)

    assert "0 loaded, 1 updated" in out
    tie = SisterCity.objects.get(city="Kisumu")
    assert (tie.since, tie.source_url) == (2010, "https://example.org/better")


def test_a_staff_correction_survives_a_reload(ties_csv, capsys):
    load(ties_csv)
    tie = SisterCity.objects.get(city="Yamagata")
    tie.city, tie.since = "Yamagata City", 1993
    tie.save()

    out, _ = load(ties_csv, capsys)

    assert "0 loaded, 0 updated, 2 unchanged, 1 kept as staff edited them" in out
    tie.refresh_from_db()
    assert (tie.city, tie.since) == ("Yamagata City", 1993)
    assert SisterCity.objects.filter(city__startswith="Yamagata").count() == 1


def test_a_tie_staff_recorded_themselves_is_not_duplicated(ties_csv, boulder, capsys):
    kenya = Country.objects.get(iso_code="KE")
    SisterCity.objects.create(place=boulder, city="Kisumu", country=kenya, since=1990)

    out, _ = load(ties_csv, capsys)

    assert "2 loaded" in out and "1 kept as staff edited them" in out
    assert SisterCity.objects.get(city="Kisumu").since == 1990


def test_staff_edit_sources_in_the_profile_admin(client, boulder, curator):
    response = client.get(f"/admin/cities/place/{boulder.pk}/change/")

    assert 'name="sistercity_set-__prefix__-source_url"' in response.content.decode()


def test_the_shipped_data_set_loads_with_no_row_skipped(states):
    # Cities of 15,000 people and more hold every city the data set names.
    reference.load_places(min_population=15000)

    summary = ties_data.load_ties()

    assert summary.problems == []
    assert summary.loaded == len(ties_data.read_rows())
    assert SisterCity.objects.exclude(source_url__startswith="http").count() == 0
    # Rows added for places the data set lacked load onto their profiles with their source.
    added = {
        (tie.state and tie.state.usps_code, tie.place and tie.place.name, tie.city, tie.since):
        tie.source_url
        for tie in SisterCity.objects.filter(city__in=["Hunan", "Musashino"])
        .select_related("state", "place")
    }  # fmt: skip
    assert added == {
        ("NC", None, "Hunan", 2012): "http://carolina-chinacouncil.org/projects",
        (None, "Lubbock", "Musashino", None): "http://www.lubbockonline.com/filed-online/"
        "2011-03-11/power-outages-tokyo-prevent-lubbock-finding-out-about-sister-city",
    }


def test_the_profile_links_each_loaded_tie_to_its_source(client, ties_csv, boulder):
    load(ties_csv)

    page = client.get(boulder.get_absolute_url()).content.decode()

    assert "Kisumu" in page
    assert 'href="https://example.org/boulder" title="A page about the tie">source</a>' in page
