"""The international ties reference data set (cities/data/ties.csv): sister, partner and
friendship cities of US cities and the sister states and provinces of US states, each with
the public page it was read from.

Loading is idempotent and never overrides staff: a row is matched to the tie it loaded
before by its reference key; a tie whose values no longer match the checksum of what was
loaded has been corrected by staff and is kept as it is, and a tie staff recorded themselves
is never duplicated. Rows without a source, or naming a place or country we do not know,
are reported and not loaded.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Lower

from cities.models import Country, Place, SisterCity, State

TIES_CSV = Path(__file__).resolve().parent / "data" / "ties.csv"
COLUMNS = [
    "us_state",
    "us_place",
    "kind",
    "partner_name",
    "partner_country",
    "year",
    "source_url",
    "source_title",
]
KINDS = {
    "sister_city": SisterCity.Kind.SISTER,
    "partner_city": SisterCity.Kind.PARTNER,
    "friendship_city": SisterCity.Kind.FRIENDSHIP,
    "sister_state": SisterCity.Kind.SISTER_STATE,
}

Progress = Callable[[Iterable], Iterable]


@dataclass
class TiesSummary:
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    # rows whose tie staff recorded or corrected: what staff left stays
    kept_for_staff: int = 0
    skipped: Counter = field(default_factory=Counter)
    # (line number in the file, reason) for every row not loaded
    problems: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, line: int, reason: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        self.problems.append((line, f"{reason}: {detail}" if detail else reason))

    def __str__(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        text = (
            f"{self.loaded} loaded, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.kept_for_staff} kept as staff edited them, {skipped} skipped"
        )
        return text + (f" ({reasons})" if reasons else "")


def read_rows(path: Path = TIES_CSV) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}.")
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def reference_key(row: dict[str, str]) -> str:
    parts = (row["us_state"], row["us_place"], row["partner_name"], row["partner_country"])
    return "|".join(p.casefold() for p in parts)


def _checksum(tie: SisterCity) -> str:
    values = [
        tie.state_id,
        tie.place_id,
        tie.kind,
        tie.city,
        tie.country_id,
        tie.since,
        tie.source_url,
        tie.source_title,
    ]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def _places(rows: list[dict[str, str]]) -> dict[tuple[str, str], Place]:
    """The city each row names, by (USPS code, lower-case name); the most populous one where
    a state has two cities of that name."""
    names = {r["us_place"].casefold() for r in rows if r["us_place"]}
    places: dict[tuple[str, str], Place] = {}
    candidates = (
        Place.objects.annotate(lower_name=Lower("name"))
        .filter(kind=Place.Kind.CITY, lower_name__in=names)
        .select_related("state")
        .largest_first()
    )
    for place in candidates:
        places.setdefault((place.state.usps_code, place.lower_name), place)
    # A name that is another place's alias (New York City's boroughs belong to the city): the
    # place finder's own matching, exact names only.
    for row in rows:
        key = (row["us_state"], row["us_place"].casefold())
        if row["us_place"] and key not in places:
            alias = (
                Place.objects.filter(kind=Place.Kind.CITY, state__usps_code=row["us_state"])
                .matching(row["us_place"])
                .filter(exact=1)
                .select_related("state")
                .first()
            )
            if alias is not None:
                places[key] = alias
    return places


def _year(text: str) -> int | None:
    if not text:
        return None
    year = int(text)  # ValueError for anything but digits
    if not 1900 <= year <= 2100:
        raise ValueError(text)
    return year


def load_ties(path: Path = TIES_CSV, progress: Progress = iter) -> TiesSummary:
    rows = read_rows(path)
    summary = TiesSummary()
    states = {s.usps_code: s for s in State.objects.all()}
    countries = {c.iso_code: c for c in Country.objects.all()}
    places = _places(rows)
    existing = {t.reference_key: t for t in SisterCity.objects.exclude(reference_key=None)}
    staff_ties = {
        (t.state_id, t.place_id, t.city.casefold(), t.country_id)
        for t in SisterCity.objects.filter(reference_key=None).select_related("country")
    }
    seen: set[str] = set()
    with transaction.atomic():
        # Line 1 is the header.
        for line, row in progress(list(enumerate(rows, start=2))):
            where = f"{row['partner_name']} ({row['us_place'] or row['us_state']})"
            if not row["source_url"].startswith(("https://", "http://")):
                summary.skip(line, "no source URL", where)
                continue
            kind = KINDS.get(row["kind"])
            if kind is None:
                summary.skip(line, "unknown kind", row["kind"])
                continue
            if not row["partner_name"]:
                summary.skip(line, "no partner name", where)
                continue
            state = states.get(row["us_state"])
            if state is None:
                summary.skip(line, "unknown state", row["us_state"])
                continue
            place = None
            if row["us_place"]:
                place = places.get((state.usps_code, row["us_place"].casefold()))
                if place is None:
                    summary.skip(line, "unknown place", f"{row['us_place']}, {state.usps_code}")
                    continue
            country = countries.get(row["partner_country"])
            if country is None:
                summary.skip(line, "unknown country", row["partner_country"])
                continue
            try:
                since = _year(row["year"])
            except ValueError:
                summary.skip(line, "bad year", row["year"])
                continue
            key = reference_key(row)
            if key in seen:
                summary.skip(line, "duplicate row", where)
                continue
            seen.add(key)
            values = {
                "state": None if place else state,
                "place": place,
                "kind": kind,
                "city": row["partner_name"],
                "country": country,
                "since": since,
                "source_url": row["source_url"],
                "source_title": row["source_title"],
            }
            tie = existing.get(key)
            if tie is None:
                profile = (values["state"] and state.pk, place and place.pk)
                if (*profile, row["partner_name"].casefold(), country.pk) in staff_ties:
                    summary.kept_for_staff += 1
                    continue
                tie = SisterCity(**values, reference_key=key)
                tie.reference_checksum = _checksum(tie)
                tie.save()
                summary.loaded += 1
                continue
            if _checksum(tie) != tie.reference_checksum:
                summary.kept_for_staff += 1
                continue
            for name, value in values.items():
                setattr(tie, name, value)
            checksum = _checksum(tie)
            if checksum == tie.reference_checksum:
                summary.unchanged += 1
                continue
            tie.reference_checksum = checksum
            tie.save()
            summary.updated += 1
    return summary
