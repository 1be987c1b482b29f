"""Template side of opportunities/dates.py: a listing's dates in its own zone, in words.

{% load listing_dates %}
{{ listing|deadline_text }}  {{ listing|event_text }}  {{ listing|zone_words }}
{{ listing.opens_at|in_zone:listing.time_zone }}
{{ listing.deadline|iso_in_zone:listing.time_zone }}
"""

from django import template

from opportunities import dates

register = template.Library()


@register.filter
def deadline_text(listing) -> str:
    return dates.deadline_text(listing)


@register.filter
def event_text(listing) -> str:
    return dates.event_text(listing)


@register.filter
def zone_words(listing) -> str:
    """The listing's zone in words: "Pacific Time", "hora del Pacífico"."""
    return dates.zone_name(listing.time_zone)


@register.filter
def in_zone(moment, zone_name: str) -> str:
    """A start or opening date (and hour, when it has one) in the zone."""
    return "" if moment is None else dates.moment_text(moment, zone_name, end=False)


@register.filter
def day_in_zone(moment, zone_name: str) -> str:
    return "" if moment is None else dates.day_text(moment, zone_name)


@register.filter
def iso_in_zone(moment, zone_name: str) -> str:
    """For <time datetime>: ISO 8601 with the zone's offset."""
    return dates.iso(moment, zone_name) or ""


@register.filter
def wall_time(moment, zone_name: str):
    """The moment in the zone, for Django's date filter inside {% localtime off %}."""
    return None if moment is None else dates.local(moment, zone_name)


@register.filter
def starts_with_hour(listing) -> bool:
    return listing.starts_at is not None and dates.has_hour(
        listing.starts_at, listing.time_zone, end=False
    )
