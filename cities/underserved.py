"""Marking places underserved in bulk: by criteria (state, type, population, not reached yet)
or from a CSV of FIPS codes. Each change is in the places' history with who, when and why."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction

from cities import reach
from cities.models import Place
from lib.history import record_bulk_history
from lib.page_cache import content_changed

MAX_UPLOAD_BYTES = 1024 * 1024
FIPS = re.compile(r"^\d{5}$")


@dataclass
class FipsList:
    codes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def places_matching(*, state=None, kind: str = "", min_population=None, max_population=None,
                    not_reached_only: bool = False):  # fmt: skip
    """The places a set of criteria picks (each city once when only gaps are asked for)."""
    places = reach.gaps() if not_reached_only else Place.objects.all()
    if state is not None:
        places = places.filter(state=state)
    if kind:
        places = places.filter(kind=kind)
    if min_population is not None:
        places = places.filter(population__gte=min_population)
    if max_population is not None:
        places = places.filter(population__lte=max_population)
    return places


def read_fips_csv(upload: bytes) -> FipsList:
    """Five-digit FIPS codes from the first column of a CSV (a header row is allowed); every
    problem names its line, and any problem means no code is used."""
    result = FipsList()
    if len(upload) > MAX_UPLOAD_BYTES:
        result.problems.append("The file is larger than 1 MB; split it into parts.")
        return result
    try:
        text = upload.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append("The file is not UTF-8 text; save it as CSV UTF-8.")
        return result
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = (row[0] if row else "").strip()
        if not value or (line == 1 and not value[:1].isdigit()):
            continue  # blank line or header
        code = value.zfill(5) if value.isdigit() and len(value) == 4 else value
        if not FIPS.match(code):
            result.problems.append(f"Line {line}: “{value}” is not a five-digit FIPS code.")
            continue
        result.codes.append(code)
    if not result.codes and not result.problems:
        result.problems.append("The file has no FIPS codes.")
        return result
    known = set(
        Place.objects.filter(fips_code__in=result.codes).values_list("fips_code", flat=True)
    )
    for code in dict.fromkeys(result.codes):
        if code not in known:
            result.problems.append(f"No county or place has the FIPS code {code}.")
    return result


@transaction.atomic
def mark_underserved(places, *, user, reason: str, underserved: bool = True) -> int:
    """Set the underserved flag on the places that do not have it yet; returns how many."""
    changing = list(places.exclude(is_underserved=underserved).select_for_update(of=("self",)))
    for place in changing:
        place.is_underserved = underserved
    Place.objects.bulk_update(changing, ["is_underserved"])
    if changing:
        content_changed()  # bulk_update sends no signal
    action = "Marked underserved" if underserved else "No longer marked underserved"
    record_bulk_history(changing, user=user, reason=f"{action}: {reason}"[:100])
    return len(changing)
