"""iCalendar (.ics) files: what people put in calendars.

Each listing gives its deadline and, for an event, the event's days, in the listing's own time
zone with its VTIMEZONE (a whole day is an all-day entry), a stable UID, and a link back to the
listing's page. Summaries and descriptions are in the reader's language (the page's URL prefix).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from opportunities import dates
from opportunities.models import DeadlineKind, Kind, Listing

UID_DOMAIN = "subnational-diplomacy-portal"


def _page_url(listing: Listing, request=None) -> str:
    path = listing.get_absolute_url()
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def _add_span(entry: Event, start: datetime, end: datetime | None, zone_name: str) -> None:
    """DTSTART and DTEND: dates (all day, the end exclusive) when the span has no hours,
    else wall times in the listing's zone."""
    end = end or start
    whole_days = not dates.has_hour(start, zone_name, end=False) and not dates.has_hour(
        end, zone_name, end=True
    )
    if whole_days:
        first = dates.local(start, zone_name).date()
        last = dates.local(end, zone_name).date()
        entry.add("dtstart", first)
        entry.add("dtend", max(last, first) + timedelta(days=1))
    else:
        entry.add("dtstart", dates.local(start, zone_name))
        entry.add("dtend", dates.local(max(end, start), zone_name))


def _deadline_entry(listing: Listing, url: str) -> Event:
    entry = Event()
    entry.add("uid", f"deadline-{listing.pk}@{UID_DOMAIN}")
    if listing.deadline_kind == DeadlineKind.EXPECTED:
        entry.add("summary", _("Expected deadline: %(title)s") % {"title": listing.title})
        note = _(
            "This deadline is expected around %(month)s, projected from the past cycle. "
            "Check the official site for this year's date."
        ) % {"month": dates.month_text(listing.deadline, listing.time_zone)}
    else:
        entry.add("summary", _("Deadline: %(title)s") % {"title": listing.title})
        note = dates.deadline_text(listing)
    if not dates.has_hour(listing.deadline, listing.time_zone, end=True):
        # The whole day: an all-day entry on the deadline's date.
        day = dates.local(listing.deadline, listing.time_zone).date()
        entry.add("dtstart", day)
        entry.add("dtend", day + timedelta(days=1))
    else:
        # A deadline at an hour: a point in time.
        moment = dates.local(listing.deadline, listing.time_zone)
        entry.add("dtstart", moment)
        entry.add("dtend", moment)
    entry.add("description", _description(listing, note, url))
    return entry


def _event_entry(listing: Listing, url: str) -> Event:
    entry = Event()
    entry.add("uid", f"event-{listing.pk}@{UID_DOMAIN}")
    entry.add("summary", listing.title)
    _add_span(entry, listing.starts_at, listing.ends_at, listing.time_zone)
    if listing.location:
        entry.add("location", listing.location)
    entry.add("description", _description(listing, dates.event_text(listing), url))
    return entry


def _description(listing: Listing, note: str, url: str) -> str:
    lines = [note, listing.summary]
    if listing.apply_url:
        lines.append(_("How to apply: %(url)s") % {"url": listing.apply_url})
    lines.append(_("On the Subnational Diplomacy Portal: %(url)s") % {"url": url})
    return "\n\n".join(line for line in lines if line)


def listing_calendar(listings: Iterable[Listing], request=None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//{(get_language() or 'en').upper()}")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", str(settings.SITE_NAME))
    for listing in listings:
        url = _page_url(listing, request)
        entries = []
        if listing.kind == Kind.EVENT and listing.starts_at:
            entries.append(_event_entry(listing, url))
        if listing.deadline:
            entries.append(_deadline_entry(listing, url))
        for entry in entries:
            entry.add("url", url)
            entry.add("dtstamp", listing.updated_at)
            calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
