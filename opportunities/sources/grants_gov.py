"""Grants.gov: funding opportunities open to state, local and tribal governments.

Reads the public REST API, no key needed (https://www.grants.gov/api/common/search2 and
https://www.grants.gov/api/common/fetchopportunity): `search2` (POST, JSON) lists the
opportunities of each configured keyword (pages of `rows` from `startRecordNum`, with
`hitCount` the total), filtered by agencies, eligibility codes and statuses ("posted",
"forecasted"); `fetchOpportunity` (POST, `{"opportunityId": …}`) gives each one's synopsis or
forecast: description, applicant types (eligibility codes), posting and close dates.

The opportunity number is the stable key; the Grants.gov page is the apply link. Close dates are
days; the deadline is the end of that day in the zone the agency states ("11:59 PM Eastern
Time" in the close-date explanation, else the zone of the date's own stamp, else Eastern).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from opportunities.models import GovernmentLevel, Source
from opportunities.sources.http import Client, SourceFault
from opportunities.sources.items import Fetched, Item, ItemProblem, plain_text, shorten

PAGE_ROWS = 100
DEFAULT_STATUSES = ["posted", "forecasted"]
CLOSED_STATUSES = {"closed", "archived"}
# Grants.gov eligibility (applicant type) codes → our government levels. "State governments"
# covers DC and the territories too; special districts are local governments of cities and
# counties; "Unrestricted" is everyone (no level restriction).
ELIGIBILITY_LEVELS = {
    "00": [GovernmentLevel.STATE, GovernmentLevel.TERRITORY],
    "01": [GovernmentLevel.COUNTY],
    "02": [GovernmentLevel.CITY],
    "04": [GovernmentLevel.CITY, GovernmentLevel.COUNTY],
    "07": [GovernmentLevel.TRIBAL],
    "11": [GovernmentLevel.TRIBAL],
    "99": [],
}
DEFAULT_ELIGIBILITIES = ["00", "01", "02", "04", "07", "11"]
ZONE_WORDS = {
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
}
ZONE_ABBREVIATIONS = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "HST": "Pacific/Honolulu",
}
EASTERN = "America/New_York"
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\b", re.IGNORECASE)


def _api(path: str) -> str:
    return settings.GRANTS_GOV_API_URL.rstrip("/") + "/" + path


def _answer(client: Client, path: str, body: dict) -> dict:
    data = client.request("POST", _api(path), json_body=body).json()
    if data.get("errorcode") not in (0, "0"):
        raise SourceFault(f"Grants.gov {path} reported an error: {data.get('msg') or data}.")
    if not isinstance(data.get("data"), dict):
        raise SourceFault(f"Grants.gov {path} answered without data.")
    return data["data"]


def search(client: Client, query: dict) -> dict[str, dict]:
    """Every hit of every configured keyword, by opportunity ID, all pages."""
    statuses = query.get("statuses") or DEFAULT_STATUSES
    base = {
        "rows": PAGE_ROWS,
        "oppNum": "",
        "eligibilities": "|".join(query.get("eligibilities") or DEFAULT_ELIGIBILITIES),
        "agencies": "|".join(query.get("agencies") or []),
        "oppStatuses": "|".join(statuses),
        "aln": "",
        "fundingCategories": "|".join(query.get("funding_categories") or []),
    }
    hits: dict[str, dict] = {}
    for keyword in query.get("keywords") or [""]:
        start, total = 0, None
        while total is None or start < total:
            page = _answer(client, "search2", {**base, "keyword": keyword, "startRecordNum": start})
            page_hits = page.get("oppHits")
            count = page.get("hitCount")
            if not isinstance(page_hits, list) or not isinstance(count, int):
                raise SourceFault("Grants.gov search2 answered without oppHits or hitCount.")
            total = count if total is None else total
            if not page_hits and start < total:
                raise SourceFault(
                    f"Grants.gov search2 announced {total} results but sent only {start} "
                    f"for “{keyword}” (a page came back empty)."
                )
            expected = min(PAGE_ROWS, total - start)
            if len(page_hits) < expected:
                raise SourceFault(
                    f"Grants.gov search2 sent {len(page_hits)} of the {expected} results of "
                    f"a page for “{keyword}” (half-delivered)."
                )
            for hit in page_hits:
                if isinstance(hit, dict) and hit.get("id"):
                    hits[str(hit["id"])] = hit
            start += len(page_hits)
    return hits


def fetch(source: Source, client: Client) -> Fetched:
    hits = search(client, source.query or {})
    fetched = Fetched(complete=True)
    for opportunity_id in sorted(hits):
        hit = hits[opportunity_id]
        number = str(hit.get("number") or "").strip()
        if not number:
            fetched.problems.append(ItemProblem(opportunity_id, "No opportunity number."))
            continue
        if hit.get("oppStatus") in CLOSED_STATUSES:
            fetched.items.append(Item(number, {}, closed=True, provenance=_provenance(number)))
            continue
        detail = _answer(client, "fetchOpportunity", {"opportunityId": int(opportunity_id)})
        try:
            fetched.items.append(to_item(hit, detail))
        except (KeyError, TypeError, ValueError) as error:
            fetched.problems.append(ItemProblem(number, f"Could not read it: {error}."))
    return fetched


def _provenance(number: str) -> str:
    return f"Grants.gov, opportunity {number}"


def to_item(hit: dict, detail: dict) -> Item:
    """One opportunity from its search hit and its fetchOpportunity data."""
    number = str(detail.get("opportunityNumber") or hit["number"])
    synopsis = detail.get("synopsis") or {}
    forecast = detail.get("forecast") or {}
    part = synopsis or forecast
    title = str(detail.get("opportunityTitle") or hit.get("title") or "").strip()
    if not title:
        raise ValueError("no title")
    description = plain_text(str(part.get("synopsisDesc") or part.get("forecastDesc") or ""))
    codes = [str(t.get("id")) for t in part.get("applicantTypes") or [] if isinstance(t, dict)]
    levels = _levels(codes)
    if levels is None:
        raise ValueError(
            "not open to state, local or tribal governments "
            f"(eligibility codes {', '.join(codes) or 'none'})"
        )
    explanation = str(part.get("responseDateDesc") or "")
    close = part.get("responseDate") or part.get("estimatedSynopsisCloseDate")
    zone = _zone(explanation, close)
    deadline = _deadline(close, hit.get("closeDate"), explanation, zone)
    opens = _day(
        part.get("postingDate") or part.get("estimatedSynopsisPostDate") or hit.get("openDate"),
        zone,
    )
    if deadline and opens and opens > deadline:
        opens = None
    forecasted = not synopsis and bool(forecast)
    summary = shorten(description, 600) or title
    if forecasted:
        summary = shorten("Forecast: " + summary, 600)
    agency = str(part.get("agencyName") or hit.get("agencyName") or "").strip()
    body_lines = [description, "", f"Grants.gov opportunity number: {number}."]
    if explanation:
        body_lines.append(f"Closing date: {plain_text(explanation)}")
    return Item(
        external_id=number,
        fields={
            "title": title[:200],
            "summary": summary,
            "body": "\n".join(body_lines).strip(),
            "sponsor": (agency or "Grants.gov")[:200],
            "opens_at": opens,
            "deadline": deadline,
            "starts_at": None,
            "ends_at": None,
            "time_zone": zone,
            "location": "",
            "apply_url": settings.GRANTS_GOV_OPPORTUNITY_URL.format(
                id=detail.get("id") or hit["id"]
            ),
            "government_levels": levels,
        },
        labels=f"{title} {agency}",
        provenance=_provenance(number),
    )


def _levels(codes: list[str]) -> list[str] | None:
    """Our government levels for these eligibility codes; None when none is a government's."""
    if "99" in codes:
        return []
    levels = {level for code in codes for level in ELIGIBILITY_LEVELS.get(code, [])}
    if not levels:
        return None
    return [level for level in GovernmentLevel.values if level in levels]


def _zone(explanation: str, stamp) -> str:
    lowered = explanation.lower()
    for word, zone in ZONE_WORDS.items():
        if word in lowered:
            return zone
    abbreviation = str(stamp or "").rsplit(" ", 1)[-1].upper()
    return ZONE_ABBREVIATIONS.get(abbreviation, EASTERN)


def _date(value) -> datetime | None:
    """Grants.gov's date forms: "Mar 31, 2027 12:00:00 AM EDT" (fetchOpportunity),
    "03/31/2027" (search2), "2027-03-31"."""
    text = str(value or "").strip()
    if not text:
        return None
    for form, length in (("%b %d, %Y", 12), ("%m/%d/%Y", 10), ("%Y-%m-%d", 10)):
        try:
            return datetime.strptime(text[:length].strip(), form)
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date Grants.gov uses")


def _day(value, zone: str) -> datetime | None:
    day = _date(value)
    return day.replace(tzinfo=ZoneInfo(zone)) if day else None


def _deadline(close, search_close, explanation: str, zone: str) -> datetime | None:
    day = _date(close) or _date(search_close)
    if day is None:
        return None
    moment = time(23, 59, 59)
    if clock := _CLOCK.search(explanation):
        hour = int(clock.group(1)) % 12 + (12 if clock.group(3).lower() == "p" else 0)
        moment = time(hour, int(clock.group(2) or 0), 59 if clock.group(2) == "59" else 0)
    return datetime.combine(day.date(), moment, tzinfo=ZoneInfo(zone))
