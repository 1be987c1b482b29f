import pytest
from django.core.management import CommandError, call_command

from cities.models import Bureau, Country, Place, State


@pytest.fixture
def loaded(db):
    call_command("load_places", "--min-population", "15000", verbosity=0)


def test_every_state_dc_and_inhabited_territory_is_loaded(loaded):
    assert State.objects.filter(kind=State.Kind.STATE).count() == 50
    assert State.objects.get(usps_code="DC").kind == State.Kind.DISTRICT
    territories = set(
        State.objects.filter(kind=State.Kind.TERRITORY).values_list("usps_code", flat=True)
    )
    assert territories == {"AS", "GU", "MP", "PR", "VI"}
    colorado = State.objects.get(usps_code="CO")
    assert (colorado.name, colorado.fips_code, colorado.capital) == ("Colorado", "08", "Denver")
    assert colorado.statehood_year == 1876


def test_cities_carry_population_and_coordinates(loaded):
    denver = Place.objects.get(state__usps_code="CO", slug="denver")
    assert denver.kind == Place.Kind.CITY
    assert denver.population > 500_000
    assert 39 < denver.latitude < 40.5 and -106 < denver.longitude < -104
    assert Place.objects.filter(kind=Place.Kind.COUNTY, state__usps_code="CO").count() == 64


def test_territory_cities_belong_to_their_territory(loaded):
    assert Place.objects.filter(state__usps_code="PR", name="San Juan").exists()


def test_countries_are_assigned_to_regional_bureaus(loaded):
    bureau_of = dict(Country.objects.values_list("iso_code", "bureau__code"))
    assert set(Bureau.objects.values_list("code", flat=True)) == {
        "AF", "EAP", "EUR", "NEA", "SCA", "WHA"
    }  # fmt: skip
    expected = {
        "NG": "AF", "KE": "AF", "EG": "NEA", "MA": "NEA", "SA": "NEA", "IL": "NEA",
        "IN": "SCA", "KZ": "SCA", "JP": "EAP", "AU": "EAP", "TR": "EUR", "FR": "EUR",
        "GE": "EUR", "BR": "WHA", "CA": "WHA", "MX": "WHA",
    }  # fmt: skip
    assert {code: bureau_of[code] for code in expected} == expected
    assert "US" not in bureau_of and "PR" not in bureau_of


def test_loading_again_updates_in_place_and_keeps_staff_edits(loaded):
    counts = (Country.objects.count(), State.objects.count(), Place.objects.count())
    denver = Place.objects.get(state__usps_code="CO", slug="denver")
    denver.leader_name = "Jane Doe"
    denver.office_email = "mayor@example.gov"
    denver.save()

    call_command("load_places", "--min-population", "15000", verbosity=0)

    assert (Country.objects.count(), State.objects.count(), Place.objects.count()) == counts
    denver.refresh_from_db()
    assert (denver.leader_name, denver.office_email) == ("Jane Doe", "mayor@example.gov")


def test_places_sharing_a_name_in_a_state_get_distinct_addresses(loaded):
    slugs = Place.objects.values_list("state_id", "slug")
    assert len(slugs) == len(set(slugs))
    assert Place.objects.filter(slug__regex=r"-2$").exists()


def test_command_reports_progress_and_a_summary(db, capsys):
    call_command("load_places", "--min-population", "15000")
    out, err = capsys.readouterr()
    assert "Places by state" in err and "56/56" in err
    assert out.strip().splitlines()[-1].startswith("Loaded reference data: countries")


def test_unknown_minimum_population_is_a_clear_error(db):
    with pytest.raises(CommandError, match="--min-population must be one of 500, 1000, 5000"):
        call_command("load_places", "--min-population", "42")
    assert not State.objects.exists()


@pytest.mark.django_db
def test_boroughs_belong_to_new_york_city():
    call_command("load_places", "--min-population", "15000", verbosity=0)
    new_york = Place.objects.get(state__usps_code="NY", name="New York City")
    assert not Place.objects.filter(state__usps_code="NY", name="Brooklyn").exists()
    assert Place.objects.matching("brooklyn").first() == new_york
    assert Place.objects.matching("Manhattan").first().state.usps_code == "NY"
