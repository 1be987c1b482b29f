"""iCalendar (.ics) files for deadlines and events, with stable UIDs and time zones."""

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event

from opportunities.models import Kind, Listing

UID_DOMAIN = "subnational-diplomacy-portal"


def _local(moment, zone_name: str):
    try:
        return moment.astimezone(ZoneInfo(zone_name))
    except (KeyError, ValueError):
        return moment


def listing_calendar(listings: Iterable[Listing]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.SITE_NAME}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", str(settings.SITE_NAME))
    for listing in listings:
        if listing.kind == Kind.EVENT and listing.starts_at:
            event = Event()
            event.add("uid", f"event-{listing.pk}@{UID_DOMAIN}")
            event.add("summary", listing.title)
            event.add("dtstart", _local(listing.starts_at, listing.time_zone))
            end = listing.ends_at or listing.starts_at + timedelta(hours=1)
            event.add("dtend", _local(end, listing.time_zone))
            event.add("location", listing.location)
            event.add("description", listing.summary)
            event.add("dtstamp", listing.updated_at)
            calendar.add_component(event)
        if listing.deadline:
            deadline = Event()
            deadline.add("uid", f"deadline-{listing.pk}@{UID_DOMAIN}")
            deadline.add("summary", f"Deadline: {listing.title}")
            deadline.add("dtstart", _local(listing.deadline, listing.time_zone))
            deadline.add("dtend", _local(listing.deadline, listing.time_zone))
            deadline.add("description", f"{listing.summary}\n{listing.apply_url}".strip())
            deadline.add("dtstamp", listing.updated_at)
            calendar.add_component(deadline)
    calendar.add_missing_timezones()
    return calendar.to_ical()
