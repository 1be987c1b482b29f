"""One rule for dates (#13): a listing's times are entered and read in the listing's own zone.

The same deadline is entered through the admin form, the CSV import and the demo loader, and
read back (wall time and zone) on the detail page, the search card, the API, the feed, the
.ics file and a digest.
"""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from django.utils.text import slugify
from icalendar import Calendar

from opportunities import digests, importing, publishing
from opportunities.management.commands import load_demo_listings
from opportunities.models import DeadlineKind, Listing, Status, Subscription, SubscriptionStatus
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db


def second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


# The day US clocks spring forward next year: Chicago and Anchorage change zone name and offset
# between now (standard time) and the deadline; Guam, Honolulu and Puerto Rico keep theirs.
DST_DAY = second_sunday_of_march(timezone.now().year + 1)
WALL = datetime.combine(DST_DAY, datetime.min.time()).replace(hour=17)
ZONES = {
    "Pacific/Guam": ("+10:00", "Chamorro Standard Time"),
    "Pacific/Honolulu": ("-10:00", "Hawaii Time"),
    "America/Puerto_Rico": ("-04:00", "Atlantic Standard Time"),
    "America/Chicago": ("-05:00", "Central Daylight Time"),
    "America/Anchorage": ("-08:00", "Alaska Daylight Time"),
}
ES_NAMES = {
    "Pacific/Guam": "hora estándar de Chamorro",
    "America/Chicago": "hora de verano central",
}


def _day(wall: datetime) -> str:
    return f"{wall:%B} {wall.day}, {wall.year}"


def _expected_text(zone_name: str) -> str:
    return f"Apply by {_day(WALL)}, 5:00\u202fPM {ZONES[zone_name][1]}"


def _csv(zone_name: str, title: str) -> bytes:
    header = list(importing.COLUMNS)
    row = {column: "" for column in header}
    row.update(
        title=title,
        kind="funding",
        summary="Grants for cities.",
        sponsor="U.S. Department of State",
        topics="climate",
        regions="global",
        deadline=WALL.strftime("%Y-%m-%dT%H:%M"),
        time_zone=zone_name,
        apply_url="https://example.gov/apply",
    )
    lines = [",".join(header), ",".join(f'"{row[c]}"' for c in header)]
    return ("\n".join(lines) + "\n").encode()


def enter_through_admin(client, zone_name: str, title: str) -> Listing:
    admin = User.objects.create_superuser(f"admin-{slugify(title)}", password="x")
    client.force_login(admin)
    response = client.post(
        "/admin/opportunities/listing/add/",
        {
            "title_en": title,
            "slug": slugify(title),
            "kind": "funding",
            "summary_en": "Grants for cities.",
            "sponsor": "U.S. Department of State",
            "topics": [topic("climate").pk],
            "is_global": "on",
            "format": "in_person",
            "time_zone": zone_name,
            "deadline_0": WALL.strftime("%Y-%m-%d"),
            "deadline_1": "17:00",
            "deadline_kind": "confirmed",
            "apply_url": "https://example.gov/apply",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.logout()
    listing = Listing.objects.get(title=title)
    publishing.submit_for_review([listing], None)
    publishing.publish([listing], None)
    return Listing.objects.get(pk=listing.pk)


def enter_through_csv(client, zone_name: str, title: str) -> Listing:
    rows, problems = importing.read_csv(_csv(zone_name, title))
    assert problems == []
    report = importing.import_rows(rows, status=Status.PUBLISHED)
    assert report.ok, report.problems
    return Listing.objects.get(title=title)


def enter_through_demo_loader(client, zone_name: str, title: str, tmp_path, monkeypatch):
    item = {
        "title": title,
        "kind": "funding",
        "summary": "Grants for cities.",
        "sponsor": "U.S. Department of State",
        "topics": "climate",
        "regions": "global",
        "deadline": WALL.strftime("%Y-%m-%dT%H:%M"),
        "deadline_kind": "confirmed",
        "time_zone": zone_name,
        "apply_url": "https://example.gov/apply",
    }
    demo = tmp_path / "listings.json"
    demo.write_text(json.dumps([item]))
    monkeypatch.setattr(load_demo_listings, "DEMO_FILE", demo)
    call_command("load_demo_listings", verbosity=0)
    return Listing.objects.get(title=title)


@pytest.mark.parametrize("zone_name", list(ZONES))
@pytest.mark.parametrize("way", ["admin", "csv", "demo"])
def test_a_deadline_reads_back_the_same_wall_time_and_zone_everywhere(
    client, states, zone_name, way, tmp_path, monkeypatch
):
    title = f"Water grant {way} {zone_name}"
    if way == "admin":
        listing = enter_through_admin(client, zone_name, title)
    elif way == "csv":
        listing = enter_through_csv(client, zone_name, title)
    else:
        listing = enter_through_demo_loader(client, zone_name, title, tmp_path, monkeypatch)
    offset, _name = ZONES[zone_name]
    wall_iso = WALL.isoformat() + offset
    assert listing.deadline == datetime.fromisoformat(wall_iso)
    expected = _expected_text(zone_name)

    detail = client.get(listing.get_absolute_url()).content.decode()
    assert expected in detail
    assert f'datetime="{wall_iso}"' in detail

    card = client.get("/opportunities/", {"q": "water"}).content.decode()
    assert expected in card

    api = client.get(f"/api/v1/listings/{listing.slug}/").json()
    assert api["deadline"] == wall_iso
    assert api["time_zone"] == zone_name
    assert api["time_zone_name"]

    feed = client.get("/opportunities/feed.rss").content.decode()
    assert expected in feed

    ics = Calendar.from_ical(client.get(f"{listing.get_absolute_url()}calendar.ics").content)
    (deadline,) = ics.walk("VEVENT")
    start = deadline.decoded("dtstart")
    assert start.replace(tzinfo=None) == WALL
    assert start.tzinfo.key == zone_name
    assert deadline["dtstart"].params["TZID"] == zone_name
    assert [str(tz["tzid"]) for tz in ics.walk("VTIMEZONE")] == [zone_name]
    assert str(deadline["url"]).endswith(listing.get_absolute_url())

    subscriber = Subscription.objects.create(
        email="ana@example.gov",
        status=SubscriptionStatus.CONFIRMED,
        confirmed_at=timezone.now() - timedelta(days=7),
    )
    digest = digests.next_digest(subscriber)
    assert [item.listing.pk for item in digest.new] == [listing.pk]
    text = digests.digest_parts(digest, inert_links=True).text
    assert expected in text


@pytest.mark.parametrize("zone_name", ["Pacific/Guam", "America/Chicago"])
def test_spanish_pages_name_the_zone_in_spanish(client, zone_name):
    zone = ZoneInfo(zone_name)
    listing = ListingFactory(deadline=WALL.replace(tzinfo=zone), time_zone=zone_name)
    page = client.get(f"/es/opportunities/{listing.slug}/").content.decode()
    assert f"17:00 {ES_NAMES[zone_name]}" in page


def test_admin_form_shows_stored_times_in_the_listing_zone(client, states):
    listing = ListingFactory(
        deadline=WALL.replace(tzinfo=ZoneInfo("Pacific/Guam")), time_zone="Pacific/Guam"
    )
    client.force_login(User.objects.create_superuser("admin", password="x"))
    page = client.get(f"/admin/opportunities/listing/{listing.pk}/change/").content.decode()
    assert f'name="deadline_0" value="{WALL:%Y-%m-%d}"' in page
    assert 'name="deadline_1" value="17:00:00"' in page


def test_admin_refuses_a_time_the_clocks_skip(client, states):
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post(
        "/admin/opportunities/listing/add/",
        {
            "title_en": "Skipped",
            "slug": "skipped",
            "kind": "funding",
            "summary_en": "Grants.",
            "sponsor": "State",
            "topics": [topic("climate").pk],
            "format": "in_person",
            "time_zone": "America/Chicago",
            "deadline_0": DST_DAY.isoformat(),
            "deadline_1": "02:30",
            "deadline_kind": "confirmed",
            "apply_url": "https://example.gov/apply",
        },
    )
    assert response.status_code == 200
    assert "clocks skip that hour" in response.content.decode()


def test_a_deadline_without_an_hour_means_the_whole_day(client):
    listing = ListingFactory(time_zone="America/Chicago")
    rows, problems = importing.read_csv(_csv("America/Chicago", "Whole day grant"))
    rows[0]["deadline"] = WALL.strftime("%Y-%m-%d")
    report = importing.import_rows(rows, status=Status.PUBLISHED)
    listing = Listing.objects.get(title="Whole day grant")
    assert listing.deadline.astimezone(ZoneInfo("America/Chicago")).date() == DST_DAY
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f"Apply by {_day(WALL)}<" in page
    ics = Calendar.from_ical(client.get(f"{listing.get_absolute_url()}calendar.ics").content)
    (entry,) = ics.walk("VEVENT")
    assert entry.decoded("dtstart") == DST_DAY
    assert report.ok


def test_expected_deadlines_show_their_month_and_no_countdown(client):
    deadline = timezone.now() + timedelta(days=355)
    listing = ListingFactory(deadline=deadline, deadline_kind=DeadlineKind.EXPECTED)
    page = client.get(listing.get_absolute_url()).content.decode()
    month = deadline.astimezone(ZoneInfo(listing.time_zone))
    assert f"Deadline expected around {month:%B %Y} — check the official site" in page
    assert "days left" not in page


def test_rolling_listings_have_no_deadline(client):
    listing = ListingFactory(deadline=None)
    assert listing.deadline_kind == DeadlineKind.ROLLING
    assert "Rolling: apply any time" in client.get(listing.get_absolute_url()).content.decode()


def test_time_zone_is_shown_in_words(client):
    listing = ListingFactory(time_zone="America/Boise")
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "Mountain Time" in page
    assert "America/Boise" not in page


def test_event_calendar_holds_the_event_days_all_day_and_the_deadline(client):
    zone = ZoneInfo("America/Denver")
    start = datetime(2031, 5, 10, tzinfo=zone)
    end = datetime.combine(date(2031, 5, 12), datetime.max.time(), tzinfo=zone)
    listing = ListingFactory(
        kind="event",
        time_zone="America/Denver",
        starts_at=start,
        ends_at=end,
        deadline=datetime(2031, 4, 1, 17, tzinfo=zone),
    )
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "May 10, 2031 – May 12, 2031" in page
    response = client.get(f"/es/opportunities/{listing.slug}/calendar.ics")
    entries = Calendar.from_ical(response.content).walk("VEVENT")
    event, deadline = entries
    assert event.decoded("dtstart") == date(2031, 5, 10)
    assert event.decoded("dtend") == date(2031, 5, 13)  # the end of an all-day span is exclusive
    assert str(event["url"]).endswith(listing.get_absolute_url())
    assert str(deadline["summary"]).startswith("Fecha límite:")


class TestClosedMeansClosed:
    """Listings whose deadline passed a minute ago, or whose event ended, are gone at once."""

    def make(self):
        now = timezone.now()
        open_one = ListingFactory(title="Still open grant")
        ListingFactory(title="Just closed grant", deadline=now - timedelta(minutes=1))
        ListingFactory(
            title="Just ended summit",
            kind="event",
            deadline=None,
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(minutes=1),
        )
        return open_one

    def test_absent_from_search(self, client):
        self.make()
        page = client.get("/opportunities/").content.decode()
        assert "Still open grant" in page
        assert "Just closed grant" not in page
        assert "Just ended summit" not in page

    def test_absent_from_feeds(self, client):
        self.make()
        for feed in ("feed.rss", "feed.atom"):
            body = client.get(f"/opportunities/{feed}").content.decode()
            assert "Still open grant" in body
            assert "Just closed grant" not in body
            assert "Just ended summit" not in body

    def test_absent_from_a_digest_built_now(self, states):
        self.make()
        subscriber = Subscription.objects.create(
            email="ana@example.gov",
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=timezone.now() - timedelta(days=7),
        )
        digest = digests.next_digest(subscriber)
        titles = [item.listing.title for item in digest.new + digest.closing]
        assert titles == ["Still open grant"]

    def test_page_stays_marked_closed_with_a_link_to_current_ones(self, client):
        self.make()
        listing = Listing.objects.get(title="Just closed grant")
        page = client.get(listing.get_absolute_url()).content.decode()
        assert "This opportunity is closed" in page
        assert "/opportunities/?kind=funding" in page

    def test_archived_by_the_task_with_a_history_entry(self):
        self.make()
        assert publishing.archive_expired_listings() == 2
        closed = Listing.objects.get(title="Just closed grant")
        assert closed.status == Status.ARCHIVED
        assert closed.history.first().history_change_reason == (
            "Archived automatically after its closing date"
        )


def test_passed_expected_deadlines_stay_for_curators_and_are_emailed_weekly(mailbox):
    from django.contrib.auth.models import Group

    listing = ListingFactory(
        title="Pickering",
        deadline=timezone.now() - timedelta(days=3),
        deadline_kind=DeadlineKind.EXPECTED,
    )
    publisher = User.objects.create_user("pat", "pat@example.gov", "x", is_staff=True)
    publisher.groups.add(Group.objects.get(name="Publisher"))
    User.objects.create_user("cur", "cur@example.gov", "x", is_staff=True).groups.add(
        Group.objects.get(name="Curator")
    )
    assert publishing.archive_expired_listings() == 0
    assert list(Listing.objects.expected_deadline_passed()) == [listing]
    assert publishing.expected_deadline_report() == 1
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "pat@example.gov"
    body = message.get_body(("plain",)).get_content()
    assert "Pickering" in body
    assert "expected_deadline=passed" in body


def test_demo_yearly_programs_say_when_their_cycle_usually_closes():
    items = json.loads(load_demo_listings.DEMO_FILE.read_text())
    by_title = {item["title"]: item for item in items}
    for title in (
        "Thomas R. Pickering Foreign Affairs Fellowship",
        "Charles B. Rangel International Affairs Graduate Fellowship",
        "Japan Exchange and Teaching (JET) Program",
    ):
        assert by_title[title]["deadline_kind"] == "expected"
    today = timezone.localdate()
    for item in items:
        row = load_demo_listings.demo_row(item, today)
        if item["kind"] == "event" and row.get("ends_at") and not item.get("cycle"):
            assert date.fromisoformat(row["ends_at"]) < today  # loaded, then archived


def test_demo_loader_leaves_no_past_event_open(states):
    call_command("load_demo_listings", verbosity=0)
    now = timezone.now()
    for listing in Listing.objects.open().filter(kind="event"):
        assert listing.ends_at is None or listing.ends_at >= now
    assert not Listing.objects.open().filter(title__startswith="Cities Summit").exists()
    assert not Listing.objects.open().filter(title="Summit for Democracy").exists()


ROUND_TRIP_ZONES = sorted(
    {"Pacific/Guam", "Pacific/Honolulu", "America/Puerto_Rico", "America/Chicago"}
    | {"America/Anchorage", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"}
)


def _admin_form_class(rf):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    model_admin = admin.site._registry[Listing]
    fields = ["title", "slug", "kind", "summary", "sponsor", "format", "time_zone"]
    fields += ["deadline", "deadline_kind", "apply_url"]
    return model_admin.get_form(request, fields=fields)


@pytest.fixture
def admin_form_class(rf):
    return _admin_form_class(rf)


def test_property_form_to_database_to_page_keeps_the_wall_time(admin_form_class, client):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from opportunities import dates

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        wall=st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2060, 12, 31)).map(
            lambda moment: moment.replace(second=0, microsecond=0)
        ),
        zone_name=st.sampled_from(ROUND_TRIP_ZONES),
    )
    def round_trip(wall, zone_name):
        Listing.objects.all().delete()
        form = admin_form_class(
            data={
                "title": "Round trip",
                "slug": "round-trip",
                "kind": "funding",
                "summary": "Grants.",
                "sponsor": "State",
                "format": "in_person",
                "time_zone": zone_name,
                "deadline_0": wall.strftime("%Y-%m-%d"),
                "deadline_1": wall.strftime("%H:%M"),
                "deadline_kind": "confirmed",
                "apply_url": "https://example.gov/apply",
            }
        )
        try:
            dates.from_wall_time(wall, zone_name)
        except dates.NonexistentTime:
            assert not form.is_valid()
            assert "clocks skip that hour" in str(form.errors["deadline"])
            return
        assert form.is_valid(), form.errors
        listing = form.save(commit=False)
        listing.status = Status.PUBLISHED
        listing.save()
        stored = Listing.objects.get(pk=listing.pk)
        back = stored.deadline.astimezone(ZoneInfo(zone_name))
        assert back.replace(tzinfo=None) == wall
        # The admin shows it again as typed, and the page reads the same wall time.
        again = admin_form_class(instance=stored)
        assert again.initial["deadline"] == [wall.date(), wall.time()]
        page = client.get(stored.get_absolute_url()).content.decode()
        assert dates.moment_text(stored.deadline, zone_name) in page

    round_trip()
