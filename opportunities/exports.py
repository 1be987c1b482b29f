"""CSV export of any search, and the bulk downloads of every published listing.

The CSV columns are the bulk importer's (opportunities.importing.EXPORT_COLUMNS), so an export
can be imported again as it is. Their names are the same in every language; the texts are in
English in `title`, `summary`... and in Spanish in `title_es`, `summary_es`... (empty where a
listing has no Spanish), whatever the language of the page the export was asked from. Cells a
spreadsheet would run as formulas (starting with =, +, -, @, a tab or a carriage return) get a
' in front, which the importer takes off. A search export
streams every page of results, up to EXPORT_ROW_LIMIT rows (the importer's limit). The bulk
files (CSV and JSON) are written by a Celery beat task into OPEN_DATA_DIR, each to a temporary
file first and then renamed, so a download never sees half a file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils import timezone
from tqdm import tqdm

from lib.bilingual import text_in
from lib.page_cache import content_changed
from opportunities.api.serializers import ListingSerializer
from opportunities.importing import EXPORT_COLUMNS, FORMULA_STARTS, MAX_ROWS
from opportunities.importing import SPANISH_COLUMNS as SPANISH
from opportunities.models import Listing
from opportunities.search import search
from opportunities.translation import LISTING_FIELDS

EXPORT_ROW_LIMIT = MAX_ROWS  # an export is always small enough to import again
EXPORT_PAGE_SIZE = 500
BULK_CHUNK = 1000
BULK_FILES = {"csv": "listings.csv", "json": "listings.json"}
RELATIONS = ["topics", "bureaus", "countries", "target_states", "source"]
LICENSE = (
    "Works of the United States Government, in the public domain in the United States "
    "(17 U.S.C. 105); the descriptions are the portal's own text, also in the public domain."
)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _number(value) -> str:
    return "" if value is None else str(value)


def listing_row(listing: Listing) -> dict[str, str]:
    """A listing as one row of the importer's CSV (its relations prefetched)."""
    try:
        zone = ZoneInfo(listing.time_zone)
    except (KeyError, ValueError):
        zone = UTC

    def moment(value) -> str:
        # Full precision and an offset: the importer reads it back to the same instant.
        return value.astimezone(zone).isoformat() if value else ""

    english = {name: text_in(listing, name, "en") for name in LISTING_FIELDS}
    row = {
        "title": english["title"],
        "kind": listing.kind,
        "summary": english["summary"],
        "body": english["body"],
        "sponsor": listing.sponsor,
        "topics": ";".join(topic.slug for topic in listing.topics.all()),
        "regions": "global"
        if listing.is_global
        else ";".join(bureau.code for bureau in listing.bureaus.all()),
        "countries": ";".join(country.iso_code for country in listing.countries.all()),
        "audiences": ";".join(listing.audiences),
        "government_levels": ";".join(listing.government_levels),
        "min_population": _number(listing.min_population),
        "max_population": _number(listing.max_population),
        "targets_underserved": _flag(listing.targets_underserved),
        "education_levels": ";".join(listing.education_levels),
        "us_citizenship_required": _flag(listing.us_citizenship_required),
        "min_age": _number(listing.min_age),
        "max_age": _number(listing.max_age),
        "is_paid": _flag(listing.is_paid),
        "format": listing.format,
        "duration": english["duration"],
        "opens_at": moment(listing.opens_at),
        "deadline": moment(listing.deadline),
        "deadline_kind": listing.deadline_kind,
        "starts_at": moment(listing.starts_at),
        "ends_at": moment(listing.ends_at),
        "time_zone": listing.time_zone,
        "location": english["location"],
        "apply_url": listing.apply_url,
        "apply_contact": english["apply_contact"],
        "target_states": ";".join(state.usps_code for state in listing.target_states.all()),
        **{column: text_in(listing, column.removesuffix("_es"), "es") for column in SPANISH},
    }
    assert list(row) == EXPORT_COLUMNS, "export columns must follow the importer's"
    return {name: formula_guarded(value) for name, value in row.items()}


def formula_guarded(value: str) -> str:
    """A ' before a cell a spreadsheet would run as a formula (the importer removes it)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def search_listings(filterset, text: str, sort: str, limit: int | None = None) -> Iterator[Listing]:
    """Every result of a search, page after page (a constant number of queries per page), up
    to `limit` (EXPORT_ROW_LIMIT by default)."""
    limit = limit or EXPORT_ROW_LIMIT
    cursor, count = "", 0
    while count < limit:
        size = min(EXPORT_PAGE_SIZE, limit - count)
        results = search(filterset, text=text, sort=sort, cursor=cursor, page_size=size)
        prefetch_related_objects(results.listings, *RELATIONS[1:])
        yield from results.listings
        count += len(results.listings)
        if not results.next_cursor:
            return
        cursor = results.next_cursor


class _Echo:
    """A file-like object that hands back what is written: csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(listings: Iterable[Listing]) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=EXPORT_COLUMNS)
    yield writer.writeheader()
    for listing in listings:
        yield writer.writerow(listing_row(listing))


def published_chunks() -> Iterator[list[Listing]]:
    """Every published listing, oldest id first, a chunk at a time with its relations."""
    last_id = 0
    while True:
        chunk = list(
            Listing.objects.published()
            .filter(id__gt=last_id)
            .order_by("id")
            .prefetch_related(*RELATIONS)[:BULK_CHUNK]
        )
        if chunk:
            yield chunk
        if len(chunk) < BULK_CHUNK:
            return
        last_id = chunk[-1].id


def _temporary_file(folder: Path, name: str):
    """A hidden temporary file beside `name`; _finish renames it over `name`."""
    return tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by _finish or on error
        "w", encoding="utf-8", newline="", dir=folder, prefix=f".{name}.", delete=False
    )


def _finish(handle, target: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, target)


def write_bulk_downloads(folder: Path | None = None, progress: bool = False) -> int:
    """Write listings.csv and listings.json of every published listing; return how many."""
    folder = Path(folder or settings.OPEN_DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    csv_file = _temporary_file(folder, BULK_FILES["csv"])
    json_file = _temporary_file(folder, BULK_FILES["json"])
    count = 0
    try:
        writer = csv.DictWriter(csv_file, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        header = {"generated_at": timezone.now().isoformat(), "license": LICENSE}
        # The listings are written one by one; the header's closing brace is left open.
        json_file.write(json.dumps(header)[:-1] + ', "listings": [')
        bar = tqdm(
            total=Listing.objects.published().count() if progress else None,
            unit="listing",
            desc="Bulk downloads",
            disable=not progress,
        )
        for chunk in published_chunks():
            # One serializer per chunk: building its fields costs more than using them.
            for listing, data in zip(chunk, ListingSerializer(chunk, many=True).data, strict=True):
                writer.writerow(listing_row(listing))
                json_file.write(("," if count else "") + "\n")
                json_file.write(json.dumps(data, ensure_ascii=False))
                count += 1
            bar.update(len(chunk))
        bar.close()
        json_file.write(f'\n], "count": {count}}}\n')
    except BaseException:
        for handle in (csv_file, json_file):
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
        raise
    _finish(csv_file, folder / BULK_FILES["csv"])
    _finish(json_file, folder / BULK_FILES["json"])
    content_changed()  # the data page shows the files' dates and sizes
    return count


def bulk_file_info(folder: Path | None = None) -> dict[str, dict]:
    """Size and time written of each bulk file that exists."""
    folder = Path(folder or settings.OPEN_DATA_DIR)
    info = {}
    for fmt, name in BULK_FILES.items():
        path = folder / name
        if path.exists():
            stat = path.stat()
            info[fmt] = {
                "name": name,
                "size": stat.st_size,
                "written_at": datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            }
    return info
