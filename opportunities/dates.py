"""One rule for every date and time a person enters or reads: the listing's own time zone.

A listing's times are typed (admin, CSV import, demo data) as wall times in the listing's zone
and read back the same way, with the zone's name in words in the reader's language. The admin,
the importer, pages, emails, calendars, feeds and the API all go through this module.

A time of exactly 23:59:59.999999 (a deadline or an end) or 00:00 (a start) in the listing's
zone means "that whole day": such a date is shown without an hour and is an all-day entry in
calendars.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_skeleton, format_time, get_timezone_name
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

END_OF_DAY = time.max
START_OF_DAY = time.min


class NonexistentTime(ValueError):
    """A wall time the clocks skip when daylight saving time begins."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def local(moment: datetime, name: str) -> datetime:
    """The moment as a wall time in the zone."""
    return moment.astimezone(zone(name))


def from_wall_time(wall: datetime, name: str) -> datetime:
    """The moment a wall time (naive) in the zone stands for. Of an hour that happens twice
    (clocks fall back) the first is meant; an hour that never happens is refused."""
    tz = zone(name)
    moment = wall.replace(tzinfo=tz, fold=0)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise NonexistentTime(wall)
    return moment


def whole_day(day: date, name: str, *, end: bool) -> datetime:
    """The last (or first) instant of a day in the zone: a date without an hour."""
    return datetime.combine(day, END_OF_DAY if end else START_OF_DAY, tzinfo=zone(name))


def has_hour(moment: datetime, name: str, *, end: bool = True) -> bool:
    """False when the moment stands for a whole day (see the module's docstring)."""
    return local(moment, name).time() != (END_OF_DAY if end else START_OF_DAY)


def _locale() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


# Zone names in Latin American Spanish (CLDR's es_419: "hora de la montaña", where Spain's
# Spanish says "hora de las Montañas Rocosas").
ZONE_NAME_LOCALES = {"es": "es_419"}


def zone_name(name: str, moment: datetime | None = None) -> str:
    """The zone in words: at a moment its standard or daylight name ("Central Daylight Time",
    "hora de verano central"), else its generic name ("Mountain Time", "hora de la montaña")."""
    tz = zone(name)
    language = _locale()
    locale = ZONE_NAME_LOCALES.get(language, language)
    if moment is None:
        generic = get_timezone_name(tz, "long", locale=locale)
        if locale != language and "de verano" in generic:
            # es_419 words a zone without a shared name as daylight time ("hora de verano de
            # Guam"); the general Spanish names it right ("hora de Guam").
            generic = get_timezone_name(tz, "long", locale=language)
        if "(" not in generic:  # Babel's fallback names a city, e.g. "United States (Boise)"
            return generic
        moment = datetime.now(UTC)
    return get_timezone_name(local(moment, name), "long", locale=locale)


def day_text(moment: datetime, name: str) -> str:
    """The date in the zone: "February 26, 2027", "26 de febrero de 2027"."""
    return format_date(local(moment, name).date(), "long", locale=_locale())


def time_text(moment: datetime, name: str) -> str:
    """The hour in the zone with the zone's name: "5:00 PM Chamorro Standard Time"."""
    wall = local(moment, name)
    return f"{format_time(wall, 'short', locale=_locale())} {zone_name(name, moment)}"


def month_text(moment: datetime, name: str) -> str:
    """The month in the zone: "November 2027", "noviembre de 2027"."""
    return format_skeleton("yMMMM", local(moment, name), locale=_locale())


def moment_text(moment: datetime, name: str, *, end: bool = True) -> str:
    """The date, and the hour with the zone's name when the moment has one."""
    if not has_hour(moment, name, end=end):
        return day_text(moment, name)
    return f"{day_text(moment, name)}, {time_text(moment, name)}"


def iso(moment: datetime | None, name: str) -> str | None:
    """ISO 8601 with the zone's offset at that moment: 2027-04-30T17:00:00+10:00."""
    return None if moment is None else local(moment, name).isoformat()


# What a listing's dates say, everywhere they are read ----------------------------------------


def deadline_text(listing) -> str:
    """ "Apply by February 26, 2027, 5:00 PM Central Standard Time"; an expected deadline as
    its month; a rolling listing says so."""
    if listing.deadline is None:
        return str(_("Rolling: apply any time"))
    if listing.deadline_kind == "expected":
        return _("Deadline expected around %(month)s — check the official site") % {
            "month": month_text(listing.deadline, listing.time_zone)
        }
    return _("Apply by %(when)s") % {"when": moment_text(listing.deadline, listing.time_zone)}


def event_text(listing) -> str:
    """An event's days (and hours, when it has them): "May 10, 2027 – May 12, 2027"."""
    if listing.starts_at is None:
        return ""
    name = listing.time_zone
    start = moment_text(listing.starts_at, name, end=False)
    if listing.ends_at is None:
        return start
    same_day = local(listing.ends_at, name).date() == local(listing.starts_at, name).date()
    if same_day and not has_hour(listing.ends_at, name):
        return start
    if same_day:
        return f"{start} – {format_time(local(listing.ends_at, name), 'short', locale=_locale())}"
    return f"{start} – {moment_text(listing.ends_at, name)}"


def zone_choices() -> list[tuple[str, str]]:
    """Every time zone, for a select: "America/Chicago — Central Time"."""
    return _zone_choices(_locale())


@cache
def _zone_choices(locale: str) -> list[tuple[str, str]]:
    with translation.override(locale):
        return [(name, f"{name} — {zone_name(name)}") for name in sorted(_zone_names())]


def _zone_names() -> set[str]:
    # Region/City names only, without legacy aliases such as "US/Central" or "Etc/GMT+5".
    areas = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe")
    return {
        name
        for name in available_timezones()
        if name.split("/")[0] in (*areas, "Indian", "Pacific") or name == "UTC"
    }
