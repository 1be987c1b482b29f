"""Bulk import of listings from rows (a CSV upload, or the demo content set).

Every row is validated first; each problem is reported with its line number and column, and
nothing is saved unless every row is valid (all or nothing). Likely duplicates (the same
apply address, or a near-identical title, among the rows or already in the portal) are
flagged for staff without blocking the import; with `skip_duplicates` they are left out unless
staff keep them. A row whose `slug` names an existing draft updates that draft. `dry_run`
validates and plans (create, update or skip per row) without writing anything: the admin shows
that preview and imports only once staff confirm.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau, Country, State
from lib.history import record_bulk_history
from opportunities import dates
from opportunities.models import (
    Audience,
    DeadlineKind,
    EducationLevel,
    Format,
    GovernmentLevel,
    Kind,
    Listing,
    Status,
    Topic,
    many_to_many,
)
from opportunities.models.listing import time_zone_names
from opportunities.search import listings_changed
from opportunities.translation import LISTING_FIELDS

# Each column's meaning, in the reader's language: the open-data page's data dictionary (the
# column names themselves stay as they are, in every language, so a file imports again).
COLUMNS = {
    "title": _("Name of the opportunity (required)."),
    "kind": format_lazy(_("One of: {values} (required)."), values=", ".join(Kind.values)),
    "summary": _("One or two plain sentences (required, at most 600 characters)."),
    "body": _("Details in Markdown."),
    "sponsor": _("Who runs it (required)."),
    "topics": _("Topic slugs separated by semicolons, e.g. climate;energy (at least one)."),
    "regions": _(
        "Regional bureau codes (AF;EAP;EUR;NEA;SCA;WHA) separated by semicolons, or global."
    ),
    "countries": _("Two-letter country codes separated by semicolons, e.g. MX;BR."),
    "audiences": format_lazy(
        _("Separated by semicolons: {values}."), values=";".join(Audience.values)
    ),
    "government_levels": format_lazy(
        _("For local governments: {values}."), values=";".join(GovernmentLevel.values)
    ),
    "min_population": _("Smallest eligible place population (whole number)."),
    "max_population": _("Largest eligible place population (whole number)."),
    "targets_underserved": _("true or false."),
    "education_levels": format_lazy(
        _("For students: {values}."), values=";".join(EducationLevel.values)
    ),
    "us_citizenship_required": _("true or false."),
    "min_age": _("Youngest eligible age (whole number)."),
    "max_age": _("Oldest eligible age (whole number)."),
    "is_paid": _("Paid or with a stipend: true or false."),
    "format": format_lazy(
        _("One of: {values} (default in_person)."), values=", ".join(Format.values)
    ),
    "duration": _("For example: 10 weeks."),
    "opens_at": _("Date applications open: YYYY-MM-DD (or YYYY-MM-DDTHH:MM)."),
    "deadline": _(
        "Application deadline: YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM; "
        "empty means rolling."
    ),
    "deadline_kind": _(
        "confirmed (announced for this cycle, the default when there is a deadline), "
        "expected (projected from the past cycle) or rolling (no deadline, the default "
        "without one)."
    ),
    "starts_at": _("Event or program start: YYYY-MM-DD or YYYY-MM-DDTHH:MM."),
    "ends_at": _("Event or program end: YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM."),
    "time_zone": _(
        "IANA time zone of the dates, e.g. America/New_York (the default); dates "
        "without an offset are wall times in this zone."
    ),
    "location": _("City and country, or Online."),
    "apply_url": _("Web address to apply (https://…); this or apply_contact is required."),
    "apply_contact": _("Email or other contact to apply."),
    "target_states": _(
        "Only for these states: postal codes separated by semicolons; empty for every US place."
    ),
}
# Read by the importer but never written by exports (open data must not update anything).
UPDATE_COLUMNS = {
    "slug": _(
        "Optional: the address of an existing draft to update with this row; empty to "
        "create a new listing."
    ),
}
# Optional Spanish versions of the texts (a listing without them shows the English, marked).
SPANISH_COLUMNS = {
    "title_es": _("Optional: the name in Spanish."),
    "summary_es": _("Optional: the summary in Spanish."),
    "body_es": _("Optional: the details in Spanish (Markdown)."),
    "duration_es": _("Optional: the duration in Spanish, e.g. 10 semanas."),
    "location_es": _("Optional: the location in Spanish."),
    "apply_contact_es": _("Optional: how to apply (contact) in Spanish."),
}
# What exports write: the importer's columns, the English texts first, then the Spanish ones.
EXPORT_COLUMNS = [*COLUMNS, *SPANISH_COLUMNS]
REQUIRED = ["title", "kind", "summary", "sponsor", "topics"]
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}
MAX_ROWS = 5000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class RowProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class RowAction:
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"


@dataclass
class PlannedRow:
    """What an import does (or would do) with one row."""

    line: int
    title: str
    action: str
    duplicate: str = ""  # why the row looks like a duplicate, if it does
    slug: str = ""  # the draft it updates

    @property
    def flagged(self) -> bool:
        return bool(self.duplicate)


@dataclass
class ImportReport:
    rows: int = 0
    created: list[Listing] = field(default_factory=list)
    updated: list[Listing] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    planned: list[PlannedRow] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for row in self.planned if row.action == action)

    def summary(self) -> str:
        if not self.ok:
            return (
                f"Nothing was imported: {len(self.problems)} problem(s) in {self.rows} row(s). "
                "Fix them and upload the whole file again."
            )
        if self.dry_run:
            return (
                f"Nothing is imported yet: {self.count(RowAction.CREATE)} listing(s) would be "
                f"created, {self.count(RowAction.UPDATE)} updated and "
                f"{self.count(RowAction.SKIP)} skipped as likely duplicates."
            )
        summary = (
            f"Imported {len(self.created)} listing(s); {len(self.duplicates)} likely duplicate(s)."
        )
        if self.updated or self.count(RowAction.SKIP):
            summary += (
                f" Updated {len(self.updated)} draft(s); skipped {self.count(RowAction.SKIP)} "
                "likely duplicate(s)."
            )
        return summary


class _Lookups:
    """Reference data loaded once per import, not once per row."""

    def __init__(self):
        self.topics = {t.slug: t for t in Topic.objects.all()}
        self.bureaus = {b.code: b for b in Bureau.objects.all()}
        self.countries = {c.iso_code: c for c in Country.objects.all()}
        self.states = {s.usps_code: s for s in State.objects.all()}
        self.slugs = set(Listing.objects.values_list("slug", flat=True))
        self.urls = {
            url.lower(): title
            for url, title in Listing.objects.exclude(apply_url="").values_list(
                "apply_url", "title_en"
            )
        }
        # Imported rows are English: compared with the English titles, whatever the language
        # of the page the import runs from.
        self.titles = {
            _normalized(title): title
            for title in Listing.objects.values_list("title_en", flat=True)
            if title
        }


def _normalized(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", value or "") if part.strip()]


class _RowParser:
    def __init__(self, row: dict, line: int, lookups: _Lookups):
        self.row = {key: (value or "").strip() for key, value in row.items() if key}
        self.line = line
        self.lookups = lookups
        self.problems: list[RowProblem] = []

    def problem(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message))

    def text(self, column: str) -> str:
        return self.row.get(column, "")

    def boolean(self, column: str) -> bool:
        value = self.text(column).lower()
        if value in TRUE:
            return True
        if value not in FALSE:
            self.problem(column, f"“{self.text(column)}” is not true or false.")
        return False

    def number(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        if not value.isdigit() or len(value) > 10:
            self.problem(column, f"“{value}” is not a whole number.")
            return None
        return int(value)

    def choices(self, column: str, allowed: list[str]) -> list[str]:
        values = _split(self.text(column))
        unknown = [v for v in values if v not in allowed]
        if unknown:
            self.problem(column, f"Unknown value(s) {', '.join(unknown)}; use {';'.join(allowed)}.")
        return [v for v in values if v in allowed]

    def related(self, column: str, table: dict, upper: bool = False) -> list:
        found = []
        for key in _split(self.text(column)):
            key = key.upper() if upper else key
            if key in table:
                found.append(table[key])
            else:
                self.problem(column, f"Unknown value “{key}”.")
        return found

    def moment(self, column: str, zone_name: str, end_of_day: bool = False) -> datetime | None:
        """A date (the whole day) or a wall time in the listing's zone (opportunities/dates.py);
        a value with an offset is taken as that instant."""
        value = self.text(column)
        if not value:
            return None
        try:
            if len(value) == 10:
                return dates.whole_day(date.fromisoformat(value), zone_name, end=end_of_day)
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.problem(column, f"“{value}” is not a date like 2027-03-31 or 2027-03-31T17:00.")
            return None
        if moment.tzinfo:
            return moment
        try:
            return dates.from_wall_time(moment, zone_name)
        except dates.NonexistentTime:
            self.problem(
                column,
                f"{moment:%H:%M} on {moment:%Y-%m-%d} does not exist in {zone_name}: clocks skip "
                "that hour when daylight saving time begins.",
            )
            return None

    def listing(self) -> tuple[Listing, dict]:
        for column in REQUIRED:
            if not self.text(column):
                self.problem(column, "This column is required.")
        kind = self.text("kind")
        if kind and kind not in Kind.values:
            self.problem("kind", f"Unknown kind “{kind}”; use one of {', '.join(Kind.values)}.")
        format_ = self.text("format") or Format.IN_PERSON
        if format_ not in Format.values:
            self.problem("format", f"Unknown format “{format_}”; use {', '.join(Format.values)}.")
        zone_name = self.text("time_zone") or "America/New_York"
        if zone_name not in time_zone_names():
            self.problem("time_zone", f"Unknown time zone “{zone_name}”.")
            zone_name = "America/New_York"
        deadline_kind = self.text("deadline_kind").lower()
        if deadline_kind and deadline_kind not in DeadlineKind.values:
            self.problem(
                "deadline_kind",
                f"Unknown value “{deadline_kind}”; use confirmed, expected or rolling.",
            )
            deadline_kind = ""
        regions = _split(self.text("regions"))
        is_global = [r.lower() for r in regions] == ["global"]
        listing = Listing(
            title=self.text("title"),
            kind=kind,
            summary=self.text("summary"),
            body=self.text("body"),
            sponsor=self.text("sponsor"),
            is_global=is_global,
            audiences=self.choices("audiences", Audience.values),
            government_levels=self.choices("government_levels", GovernmentLevel.values),
            min_population=self.number("min_population"),
            max_population=self.number("max_population"),
            targets_underserved=self.boolean("targets_underserved"),
            education_levels=self.choices("education_levels", EducationLevel.values),
            us_citizenship_required=self.boolean("us_citizenship_required"),
            min_age=self.number("min_age"),
            max_age=self.number("max_age"),
            is_paid=self.boolean("is_paid"),
            format=format_,
            duration=self.text("duration"),
            opens_at=self.moment("opens_at", zone_name),
            deadline=self.moment("deadline", zone_name, end_of_day=True),
            deadline_kind=deadline_kind or DeadlineKind.CONFIRMED,
            starts_at=self.moment("starts_at", zone_name),
            ends_at=self.moment("ends_at", zone_name, end_of_day=True),
            time_zone=zone_name,
            location=self.text("location"),
            apply_url=self.text("apply_url"),
            apply_contact=self.text("apply_contact"),
        )
        for column in SPANISH_COLUMNS:
            setattr(listing, column, self.text(column) or None)
        relations = {
            "topics": self.related("topics", self.lookups.topics),
            "bureaus": [] if is_global else self.related("regions", self.lookups.bureaus, True),
            "countries": self.related("countries", self.lookups.countries, upper=True),
            "target_states": self.related("target_states", self.lookups.states, upper=True),
        }
        if deadline_kind == DeadlineKind.ROLLING and listing.deadline:
            self.problem("deadline_kind", "A rolling listing has no deadline: empty the deadline.")
        listing.normalize_dates()
        listing.slug = "pending"  # assigned once the row is known to be valid
        try:
            listing.full_clean(exclude=["slug"], validate_unique=False)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    if not any(p.column == column for p in self.problems):
                        self.problem("" if column == "__all__" else column, message)
        return listing, relations


def _unique_slug(title: str, taken: set[str]) -> str:
    base = slugify(title)[:200] or "listing"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


# Spreadsheets run a cell starting with one of these as a formula, so the portal's CSV exports
# put a ' before such a cell (opportunities.exports) and the importer takes it off again: an
# export imports back exactly as it was written.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def without_formula_guard(value):
    """A cell as it was before an export guarded it against running as a formula."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_csv(upload: bytes) -> tuple[list[dict], list[RowProblem]]:
    """Rows of a CSV file as dicts keyed by column, or the problems that stop reading it."""
    if len(upload) > MAX_UPLOAD_BYTES:
        return [], [RowProblem(1, "", "The file is larger than 5 MB; split it into parts.")]
    try:
        text = upload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(1, "", "The file is not UTF-8 text; save it as CSV UTF-8.")]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [
        name
        for name in header
        if name not in COLUMNS and name not in UPDATE_COLUMNS and name not in SPANISH_COLUMNS
    ]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        problems = [RowProblem(1, name, "Unknown column.") for name in unknown]
        problems += [RowProblem(1, name, "Required column is missing.") for name in missing]
        return [], problems
    try:
        rows = [
            {name: without_formula_guard(value) for name, value in row.items()} for row in reader
        ]
    except csv.Error as error:
        return [], [RowProblem(reader.line_num, "", f"The file is not valid CSV: {error}.")]
    if len(rows) > MAX_ROWS:
        return [], [RowProblem(1, "", f"At most {MAX_ROWS} rows per file.")]
    return rows, []


def import_rows(*args, **kwargs) -> ImportReport:
    """Validate every row, then create and update all listings in one transaction, or none
    (`_import_rows`). Rows are English (with optional Spanish columns): the import runs in
    English whatever the language of the page it was started from, so that the original
    columns and the history hold the English (lib/bilingual.py)."""
    with translation.override("en"):
        return _import_rows(*args, **kwargs)


def _import_rows(
    rows: list[dict],
    user=None,
    status: str = Status.DRAFT,
    first_line: int = 2,
    *,
    dry_run: bool = False,
    skip_duplicates: bool = False,
    keep_lines: frozenset[int] = frozenset(),
) -> ImportReport:
    """With `skip_duplicates`, rows flagged as likely duplicates are left out, except the lines in
    `keep_lines`; with `dry_run`, nothing is written and `planned` says what would happen.
    """
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    if not rows:
        report.problems.append(RowProblem(first_line, "", "The file has no rows."))
        return report
    lookups = _Lookups()
    existing = {
        listing.slug: listing
        for listing in Listing.objects.filter(
            slug__in=[row.get("slug", "").strip() for row in rows if row.get("slug")]
        )
    }
    parsed = []
    seen_urls: dict[str, int] = {}
    seen_titles: dict[str, int] = {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        parser = _RowParser(row, line, lookups)
        listing, relations = parser.listing()
        report.problems.extend(parser.problems)
        slug = (row.get("slug") or "").strip()
        target = existing.get(slug)
        if target is not None and target.status != Status.DRAFT:
            report.problems.append(
                RowProblem(
                    line,
                    "slug",
                    f"“{slug}” is {target.get_status_display().lower()}; only drafts are updated "
                    "by an import (change it in the admin, where review applies).",
                )
            )
        elif slug and target is None and (slug != slugify(slug) or slug in lookups.slugs):
            report.problems.append(
                RowProblem(line, "slug", f"“{slug}” is not an address of a draft or a new one.")
            )
        elif slug and slug in {p.slug for p in report.planned}:
            report.problems.append(RowProblem(line, "slug", f"“{slug}” is on an earlier line."))
        plan = PlannedRow(line, listing.title, RowAction.UPDATE if target else RowAction.CREATE)
        plan.slug = slug
        url, title = listing.apply_url.lower(), _normalized(listing.title)
        duplicate = None
        if target is not None:
            pass  # an update is the listing itself, not a duplicate of it
        elif url and (url in lookups.urls or url in seen_urls):
            other = f"line {seen_urls[url]}" if url in seen_urls else f"“{lookups.urls[url]}”"
            duplicate = RowProblem(line, "apply_url", f"Same address as {other}.")
        elif title and (twin := _similar_title(title, lookups.titles, seen_titles)):
            duplicate = RowProblem(line, "title", f"Nearly the same title as {twin}.")
        if duplicate:
            report.duplicates.append(duplicate)
            plan.duplicate = duplicate.message
            if skip_duplicates and line not in keep_lines:
                plan.action = RowAction.SKIP
        report.planned.append(plan)
        parsed.append((listing, relations, plan, target))
        seen_urls.setdefault(url, line)
        seen_titles.setdefault(title, line)
    if report.problems or dry_run:
        return report
    creating = [(lst, rel, plan) for lst, rel, plan, _ in parsed if plan.action == RowAction.CREATE]
    updating = [
        (lst, rel, tgt) for lst, rel, plan, tgt in parsed if plan.action == RowAction.UPDATE
    ]
    with transaction.atomic():
        for listing, _relations, plan in creating:
            if plan.slug:
                listing.slug = plan.slug
                lookups.slugs.add(plan.slug)
            else:
                listing.slug = _unique_slug(listing.title, lookups.slugs)
            listing.status = status
            listing.created_by = user
            if status == Status.PUBLISHED:
                listing.published_at = timezone.now()
        created = Listing.objects.bulk_create([listing for listing, _, _ in creating])
        _link_related(created, [relations for _, relations, _ in creating])
        record_bulk_history(created, user=user, reason="Imported", created=True)
        report.created = created
        report.updated = _update_drafts(updating, user)
    listings_changed()
    return report


IMPORTED_FIELDS = [
    name for name in COLUMNS if name not in {"topics", "regions", "countries", "target_states",
                                             "slug"}
] + ["is_global", "updated_at"]  # fmt: skip
# A translated field is written to its English column (and the original one, which mirrors
# it); its Spanish column only when the row gives a Spanish text, so a row without Spanish
# columns keeps the draft's translation.
UPDATED_COLUMNS = (
    IMPORTED_FIELDS + [f"{name}_en" for name in LISTING_FIELDS] + list(SPANISH_COLUMNS)
)


def _update_drafts(updating: list[tuple[Listing, dict, Listing]], user) -> list[Listing]:
    """Copy each row onto the draft it names and replace the draft's links with the row's."""
    if not updating:
        return []
    now = timezone.now()
    targets = []
    for row_listing, _relations, target in updating:
        for name in IMPORTED_FIELDS:
            setattr(target, name, getattr(row_listing, f"{name}_en", getattr(row_listing, name)))
        for column in SPANISH_COLUMNS:
            if getattr(row_listing, column):
                setattr(target, column, getattr(row_listing, column))
        target.updated_at = now
        targets.append(target)
    # rewrite(False): modeltranslation would turn `title` into `title_en` in the UPDATE.
    Listing.objects.rewrite(False).bulk_update(targets, UPDATED_COLUMNS)
    for name in ("topics", "bureaus", "countries", "target_states"):
        through, source, _target = many_to_many(name)
        through.objects.filter(**{f"{source}__in": targets}).delete()
    _link_related(targets, [relations for _, relations, _ in updating])
    record_bulk_history(targets, user=user, reason="Updated by import")
    return targets


def _link_related(listings: list[Listing], relations: list[dict]) -> None:
    """Many-to-many links for all rows in one insert per relation."""
    for name in ("topics", "bureaus", "countries", "target_states"):
        through, source, target = many_to_many(name)
        through.objects.bulk_create(
            [
                through(**{source: listing, target: obj})
                for listing, related in zip(listings, relations, strict=True)
                for obj in related[name]
            ]
        )


def _similar_title(title: str, existing: dict[str, str], earlier: dict[str, int]) -> str | None:
    if title in existing:
        return f"“{existing[title]}”"
    if title in earlier:
        return f"line {earlier[title]}"
    for other, original in existing.items():
        if abs(len(other) - len(title)) <= 3 and SequenceMatcher(None, title, other).ratio() > 0.92:
            return f"“{original}”"
    return None


def template_csv() -> str:
    """A CSV with the header and one example row, for staff to download and fill."""
    example = {
        "title": "Example: Sister city exchange on clean water",
        "kind": Kind.EXCHANGE,
        "summary": "Staff from US and Mexican cities visit each other to share water ideas.",
        "sponsor": "U.S. Department of State",
        "topics": "water-and-sanitation;climate",
        "regions": "WHA",
        "countries": "MX",
        "audiences": "local_government",
        "government_levels": "city;county",
        "targets_underserved": "true",
        "format": Format.IN_PERSON,
        "deadline": "2027-03-31",
        "time_zone": "America/New_York",
        "apply_url": "https://www.example.gov/apply",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerow(example)
    return out.getvalue()
