"""Any RSS, Atom or iCalendar feed staff point a source at (city networks', embassies' and
programs' news and events).

RSS 2.0 and Atom (RFC 4287) are read with feedparser, iCalendar (RFC 5545) with icalendar.
Each entry's stable key is its GUID / Atom ID / iCalendar UID (else its link); HTML is reduced
to text with nh3. Feeds show only their latest entries, so an entry that drops out is not
closed; an iCalendar event with STATUS:CANCELLED is. The request is conditional (ETag,
Last-Modified), and a feed whose bytes have not changed since the last run is not read again.
Nor is an RSS item or Atom entry whose own bytes have not changed (feeds change their build
date on every request): each entry's bytes are fingerprinted, and only new or changed entries
are parsed, together with the feed's head.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time
from xml.sax import SAXException

import feedparser
from icalendar import Calendar

from opportunities.models import Source
from opportunities.sources.http import Client, SourceFault
from opportunities.sources.items import Fetched, Item, ItemProblem, plain_text, shorten

UTC_ZONE = "UTC"
# One RSS item or Atom entry, as bytes (neither nests inside another).
_ENTRY = re.compile(rb"<(item|entry)(?:\s[^>]*)?>.*?</\1\s*>", re.DOTALL)


def fetch(
    source: Source, client: Client, *, conditional: bool = True, known: dict | None = None
) -> Fetched:
    """Read the feed; `known` maps the fingerprints of entries already imported to their keys."""
    headers = {}
    if conditional and source.etag:
        headers["If-None-Match"] = source.etag
    if conditional and source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    answer = client.request("GET", source.endpoint, headers=headers)
    if answer.not_modified:
        return Fetched(not_modified=True, etag=source.etag, last_modified=source.last_modified)
    fetched = Fetched(
        digest=hashlib.sha256(answer.body).hexdigest(),
        etag=answer.headers.get("ETag", "")[:200],
        last_modified=answer.headers.get("Last-Modified", "")[:100],
    )
    if conditional and fetched.digest == source.content_digest:
        fetched.not_modified = True
        return fetched
    if answer.body.lstrip()[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        _read_calendar(answer.body, source, fetched)
    else:
        _read_feed(answer.body, source, fetched, known or {})
    return fetched


def _parse(body: bytes):
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), SAXException):
        raise SourceFault(f"The feed is not well-formed XML ({parsed['bozo_exception']}).")
    if not parsed.get("version"):
        raise SourceFault("The answer is not an RSS or Atom feed.")
    return parsed


def _read_feed(body: bytes, source: Source, fetched: Fetched, known: dict) -> None:
    chunks = list(_ENTRY.finditer(body))
    prints = [hashlib.sha256(chunk.group(0)).hexdigest() for chunk in chunks]
    fresh = [n for n, mark in enumerate(prints) if mark not in known]
    parsed = None
    if chunks and len(fresh) < len(chunks):
        # Parse only the head (and tail) of the feed with its new or changed entries.
        head, tail = body[: chunks[0].start()], body[chunks[-1].end() :]
        parsed = _parse(head + b"".join(chunks[n].group(0) for n in fresh) + tail)
        if len(parsed.entries) != len(fresh):
            parsed = None  # the entries were not where we thought: read it all
        else:
            fetched.items += [
                Item(known[mark], {}, unchanged=True) for mark in prints if mark in known
            ]
            prints = [prints[n] for n in fresh]
    if parsed is None:
        parsed = _parse(body)
        if len(parsed.entries) != len(chunks):
            prints = [""] * len(parsed.entries)
    channel = str(parsed.feed.get("title") or source.name)
    for entry, mark in zip(parsed.entries, prints, strict=True):
        key = str(entry.get("id") or entry.get("link") or "").strip()[:200]
        if not key:
            fetched.problems.append(ItemProblem(entry.get("title", "?"), "No id and no link."))
            continue
        title = plain_text(str(entry.get("title") or "")).replace("\n", " ")
        if not title:
            fetched.problems.append(ItemProblem(key, "No title."))
            continue
        content = entry.get("content") or []
        markup = content[0].get("value", "") if content else entry.get("summary", "")
        text = plain_text(str(markup or ""))
        categories = " ".join(str(tag.get("term") or "") for tag in entry.get("tags") or [])
        fetched.items.append(
            Item(
                external_id=key,
                fields={
                    "title": title[:200],
                    "summary": shorten(text, 600) or title,
                    "body": text,
                    "sponsor": channel[:200],
                    "opens_at": None,  # a post's date is not when applications open
                    "deadline": None,
                    "starts_at": None,
                    "ends_at": None,
                    "time_zone": UTC_ZONE,
                    "location": "",
                    "apply_url": str(entry.get("link") or "")[:500],
                    "government_levels": [],
                },
                labels=f"{title} {categories}",
                provenance=f"{source.name}, entry {key}",
                digest=mark,
            )
        )


def _moment(value) -> tuple[datetime | None, str | None]:
    """An iCalendar DTSTART/DTEND as an aware datetime and its zone name (dates: midnight UTC)."""
    if value is None:
        return None, None
    moment = value.dt
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC), None
        zone = getattr(moment.tzinfo, "key", None)
        return moment, zone
    if isinstance(moment, date):
        return datetime.combine(moment, time.min, tzinfo=UTC), None
    return None, None


def _read_calendar(body: bytes, source: Source, fetched: Fetched) -> None:
    try:
        calendar = Calendar.from_ical(body)
    except ValueError as error:
        raise SourceFault(f"The calendar is not valid iCalendar ({error}).") from error
    name = str(calendar.get("X-WR-CALNAME") or source.name)
    for event in calendar.walk("VEVENT"):
        key = str(event.get("UID") or "").strip()[:200]
        if not key:
            fetched.problems.append(ItemProblem(str(event.get("SUMMARY", "?")), "No UID."))
            continue
        try:
            starts, zone = _moment(event.get("DTSTART"))
            ends, _ = _moment(event.get("DTEND"))
        except (AttributeError, TypeError, ValueError) as error:
            fetched.problems.append(ItemProblem(key, f"Unreadable dates ({error})."))
            continue
        title = plain_text(str(event.get("SUMMARY") or "")).replace("\n", " ")
        if not title or starts is None:
            fetched.problems.append(ItemProblem(key, "No title or no start."))
            continue
        text = plain_text(str(event.get("DESCRIPTION") or ""))
        categories = event.get("CATEGORIES")
        words = " ".join(
            str(word)
            for group in (categories if isinstance(categories, list) else [categories])
            if group is not None
            for word in getattr(group, "cats", [group])
        )
        fetched.items.append(
            Item(
                external_id=key,
                fields={
                    "title": title[:200],
                    "summary": shorten(text, 600) or title,
                    "body": text,
                    "sponsor": name[:200],
                    "opens_at": None,
                    "deadline": None,
                    "starts_at": starts,
                    "ends_at": ends if ends and ends >= starts else None,
                    "time_zone": zone or UTC_ZONE,
                    "location": str(event.get("LOCATION") or "")[:200],
                    "apply_url": str(event.get("URL") or "")[:500],
                    "government_levels": [],
                },
                labels=f"{title} {words}",
                closed=str(event.get("STATUS") or "").upper() == "CANCELLED",
                provenance=f"{name}, event {key}",
            )
        )
