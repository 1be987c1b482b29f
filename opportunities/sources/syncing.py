"""One sync of a source: read everything upstream has, then apply it to our listings in one
transaction, matched by (source, external key).

- new → a listing (a draft in the review queue unless the source publishes directly), with a
  history entry saying where and when it came from;
- changed upstream → the fields upstream changed are applied to drafts and listings in review
  at once, and to published listings if the source is trusted; otherwise the differences wait
  as an `UpstreamChange` for a publisher. Fields upstream did not change are never touched, so
  staff edits to them stay;
- closed or withdrawn upstream → archived, with a history entry;
- unchanged → only "last checked" moves. A second identical run changes nothing else.

Any fault while reading (timeout, 5xx, 429, malformed JSON or XML, a half-delivered answer)
happens before the first write: the run is marked failed with the reason, listings stay as
they were, and the source is retried later with a doubling backoff. One bad item is reported in
the run and skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cities.models import Bureau
from lib.page_cache import content_changed
from opportunities.importing import _unique_slug
from opportunities.models import (
    ChangeStatus,
    Listing,
    RunStatus,
    Source,
    SourceKind,
    SourceRun,
    Status,
    Topic,
    UpstreamChange,
)
from opportunities.search import listings_changed
from opportunities.sources import bulk, feeds, grants_gov, mapping
from opportunities.sources.http import Client, SourceFault
from opportunities.sources.items import (
    UPSTREAM_FIELDS,
    Fetched,
    Item,
    ItemProblem,
    from_json,
    to_json,
)

log = logging.getLogger(__name__)
PROGRESS_STEP = 500
OPEN_STATUSES = {Status.DRAFT, Status.IN_REVIEW}
_url = URLValidator(schemes=["http", "https"])

Progress = Callable[[int], None]


def fetch(source: Source, client: Client) -> Fetched:
    if source.kind == SourceKind.GRANTS_GOV:
        return grants_gov.fetch(source, client)
    if not source.endpoint:
        raise SourceFault("The source has no endpoint (the feed's address).")
    known = dict(
        Listing.objects.filter(source=source).values_list("upstream_digest", "external_id")
    )
    return feeds.fetch(source, client, known=known)


def sync_source(
    source: Source, *, now: datetime | None = None, progress: Progress | None = None
) -> SourceRun:
    """Run one sync of `source` now, whether it is due or not, and record how it went."""
    now = now or timezone.now()
    run = SourceRun.objects.create(source=source, started_at=now)
    client = Client()
    try:
        fetched = fetch(source, client)
        with transaction.atomic():
            # One sync of a source at a time (beat and "Run now" may overlap).
            Source.objects.select_for_update().filter(pk=source.pk).exists()
            _apply(source, fetched, run, now, progress)
    except SourceFault as fault:
        return _failed(source, run, str(fault), now, fault.retry_after)
    except Exception as error:  # a bug must not stop the other sources' runs
        log.exception("Sync of source %s failed", source.pk)
        return _failed(source, run, f"Unexpected error: {error!r}", now)
    finally:
        client.close()
    return _succeeded(source, run, fetched, now)


def _succeeded(source: Source, run: SourceRun, fetched: Fetched, now: datetime) -> SourceRun:
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    Source.objects.filter(pk=source.pk).update(
        last_run_at=now,
        last_success_at=now,
        last_error="",
        failures_in_a_row=0,
        next_run_at=now + source.interval,
        items_seen=run.seen,
        items_new=run.new,
        items_changed=run.changed,
        items_closed=run.closed,
        items_skipped=run.skipped,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        content_digest=fetched.digest,
    )
    content_changed()  # "last checked" on imported listings, the sources on the data page
    source.refresh_from_db()
    return run


def _failed(
    source: Source, run: SourceRun, reason: str, now: datetime, retry_after: int | None = None
) -> SourceRun:
    run.refresh_from_db()  # counts written inside the rolled-back transaction are not true
    run.status = RunStatus.FAILED
    run.error = reason
    run.seen = run.new = run.changed = run.closed = run.skipped = 0
    run.finished_at = timezone.now()
    run.save()
    source.failures_in_a_row += 1
    wait = max(source.backoff(), timedelta(seconds=retry_after or 0))
    Source.objects.filter(pk=source.pk).update(
        last_run_at=now,
        last_error=reason,
        failures_in_a_row=source.failures_in_a_row,
        next_run_at=now + wait,
    )
    source.refresh_from_db()
    return run


def sync_due_sources(now: datetime | None = None) -> list[SourceRun]:
    """Every enabled source whose time has come (beat calls this every 15 minutes)."""
    now = now or timezone.now()
    runs = []
    for source in Source.objects.filter(enabled=True).order_by("pk"):
        # Claim the source first, so that a beat firing again while it runs does not start it
        # a second time; the run then sets its real next time.
        claimed = (
            Source.objects.filter(pk=source.pk, enabled=True)
            .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
            .update(next_run_at=now + source.interval)
        )
        if claimed:
            runs.append(sync_source(source, now=now))
    return runs


def _reason(text: str) -> str:
    """A history entry's reason fits its column (100 characters)."""
    return text if len(text) <= 100 else text[:99] + "…"


def digest_of(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _apply(
    source: Source, fetched: Fetched, run: SourceRun, now: datetime, progress: Progress | None
) -> None:
    known = {
        external_id: (pk, status, digest)
        for external_id, pk, status, digest in Listing.objects.filter(source=source).values_list(
            "external_id", "pk", "status", "upstream_digest"
        )
    }
    run.problems = [problem.as_dict() for problem in fetched.problems]
    if fetched.not_modified:
        run.seen = Listing.objects.filter(source=source).update(last_checked_at=now)
        run.save()
        return
    creating: list[tuple[Listing, mapping.Mapped]] = []
    changed: dict[int, tuple[dict, str, Item]] = {}
    closing: list[tuple[int, Item]] = []
    seen: set[str] = set()
    for item in fetched.items:
        if item.external_id in seen:
            continue
        seen.add(item.external_id)
        if progress and len(seen) % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
        if item.unchanged:
            continue
        existing = known.get(item.external_id)
        if item.closed:
            if existing and existing[1] != Status.ARCHIVED:
                closing.append((existing[0], item))
            continue
        values = {name: to_json(item.fields.get(name)) for name in UPSTREAM_FIELDS}
        digest = item.digest or digest_of(values)
        if existing is None:
            problem = _check(item)
            if problem:
                run.problems.append(ItemProblem(item.external_id, problem).as_dict())
                continue
            creating.append(_new_listing(source, item, values, digest, now))
        elif existing[2] != digest:
            problem = _check(item)
            if problem:
                run.problems.append(ItemProblem(item.external_id, problem).as_dict())
                continue
            changed[existing[0]] = (values, digest, item)
    if progress:
        progress(len(seen) % PROGRESS_STEP)
    if fetched.complete:
        # An item upstream still lists but we could not read is not withdrawn.
        listed = seen | {problem.external_id for problem in fetched.problems}
        for external_id, (pk, status, _digest) in known.items():
            if external_id not in listed and status != Status.ARCHIVED:
                closing.append((pk, Item(external_id, {}, closed=True, provenance=source.name)))
    run.seen = len(seen)
    run.skipped = len(run.problems)
    run.new = _create(source, creating, now)
    run.changed = _update(source, changed, now)
    run.closed = _close(source, closing, now)
    checked = [key for key in seen if key in known]
    for start in range(0, len(checked), 5000):
        Listing.objects.filter(source=source, external_id__in=checked[start : start + 5000]).update(
            last_checked_at=now
        )
    run.save()
    if run.new or run.changed or run.closed:
        listings_changed()


def _check(item: Item) -> str:
    """Why an item cannot become a listing, or ''."""
    fields = item.fields
    if not fields.get("title"):
        return "It has no title."
    if fields.get("apply_url"):
        try:
            _url(fields["apply_url"])
        except ValidationError:
            return f"Its link “{fields['apply_url'][:100]}” is not a web address."
    else:
        return "It has no link to apply or read more."
    if (
        fields.get("deadline")
        and fields.get("opens_at")
        and fields["deadline"] < fields["opens_at"]
    ):
        return "Its closing date is before its opening date."
    return ""


def _new_listing(
    source: Source, item: Item, values: dict, digest: str, now: datetime
) -> tuple[Listing, mapping.Mapped]:
    mapped = mapping.apply(source.mapping or {}, source.kind, item.labels)
    fields = dict(item.fields)
    if not fields.get("government_levels"):
        fields["government_levels"] = mapped.government_levels
    if (source.mapping or {}).get("sponsor"):
        fields["sponsor"] = source.mapping["sponsor"][:200]
    listing = Listing(
        **fields,
        kind=mapped.kind,
        audiences=mapped.audiences,
        is_global=not mapped.regions,
        status=Status.PUBLISHED if source.publish_directly else Status.DRAFT,
        published_at=now if source.publish_directly else None,
        source=source,
        external_id=item.external_id,
        fetched_at=now,
        last_checked_at=now,
        upstream=values,
        upstream_digest=digest,
    )
    listing._change_reason = _reason(f"From {item.provenance}, fetched at {now:%Y-%m-%d %H:%M %Z}")
    return listing, mapped


def _create(source: Source, creating: list[tuple[Listing, mapping.Mapped]], now: datetime) -> int:
    if not creating:
        return 0
    taken = set(Listing.objects.values_list("slug", flat=True))
    for listing, _mapped in creating:
        listing.slug = _unique_slug(listing.title, taken)
    topics = {topic.slug: topic.pk for topic in Topic.objects.all()}
    bureaus = {bureau.code: bureau.pk for bureau in Bureau.objects.all()}
    bulk.insert_listings(
        [listing for listing, _ in creating],
        {
            "topics": [[topics[s] for s in m.topics if s in topics] for _, m in creating],
            "bureaus": [[bureaus[c] for c in m.regions if c in bureaus] for _, m in creating],
        },
        now,
    )
    return len(creating)


def _differences(listing: Listing, old: dict, new: dict) -> dict[str, list]:
    """Upstream's changes since it was last read: {field: [ours now, theirs]}."""
    return {
        name: [to_json(getattr(listing, name)), new[name]]
        for name in UPSTREAM_FIELDS
        if old.get(name) != new[name]
    }


def _update(source: Source, changed: dict[int, tuple[dict, str, Item]], now: datetime) -> int:
    for listing in Listing.objects.filter(pk__in=changed).select_for_update():
        values, digest, item = changed[listing.pk]
        differences = _differences(listing, listing.upstream, values)
        if (source.mapping or {}).get("sponsor"):
            differences.pop("sponsor", None)  # the source names the sponsor itself
        listing.upstream, listing.upstream_digest, listing.fetched_at = values, digest, now
        applies = listing.status in OPEN_STATUSES or (
            source.trusted and listing.status != Status.ARCHIVED
        )
        if differences and applies:
            for name in differences:
                setattr(listing, name, from_json(name, values[name]))
            listing._change_reason = _reason(
                f"Updated from {item.provenance} ({', '.join(differences)}), "
                f"fetched at {now:%Y-%m-%d %H:%M %Z}"
            )
            listing.save()
            continue
        Listing.objects.filter(pk=listing.pk).update(
            upstream=values, upstream_digest=digest, fetched_at=now
        )
        if differences:
            _offer(source, listing, differences, now)
    return len(changed)


def _offer(source: Source, listing: Listing, differences: dict, now: datetime) -> None:
    """Add upstream's latest changes to the listing's pending change (or start one); a field
    upstream changed back to our value drops out."""
    pending = UpstreamChange.objects.filter(listing=listing, status=ChangeStatus.PENDING).first()
    merged = dict(pending.differences) if pending else {}
    for name, (ours, theirs) in differences.items():
        merged[name] = [merged.get(name, [ours])[0], theirs]
    merged = {name: pair for name, pair in merged.items() if pair[0] != pair[1]}
    if pending and not merged:
        pending.delete()
    elif pending:
        pending.differences, pending.detected_at = merged, now
        pending.save()
    elif merged:
        UpstreamChange.objects.create(
            listing=listing, source=source, differences=merged, detected_at=now
        )


def _close(source: Source, closing: list[tuple[int, Item]], now: datetime) -> int:
    reasons = {pk: item for pk, item in closing}
    listings = Listing.objects.filter(pk__in=reasons).exclude(status=Status.ARCHIVED)
    count = 0
    for listing in listings.select_for_update():
        item = reasons[listing.pk]
        listing.status = Status.ARCHIVED
        listing.archived_at = now
        listing.last_checked_at = now
        listing._change_reason = _reason(
            f"Closed or withdrawn upstream ({item.provenance}), seen at {now:%Y-%m-%d %H:%M %Z}"
        )
        listing.save()
        count += 1
    return count


@transaction.atomic
def accept_changes(changes, user) -> int:
    """A publisher accepts upstream changes: their fields take upstream's current values."""
    count = 0
    for change in changes.select_related("listing", "source").select_for_update(of=("self",)):
        if change.status != ChangeStatus.PENDING:
            continue
        listing = change.listing
        for name in change.differences:
            if name in listing.upstream:
                setattr(listing, name, from_json(name, listing.upstream[name]))
        listing._history_user = user
        listing._change_reason = _reason(
            f"Accepted the change from {change.source} ({', '.join(change.differences)})"
        )
        listing.save()
        change.status, change.decided_at, change.decided_by = (
            ChangeStatus.ACCEPTED,
            timezone.now(),
            user,
        )
        change.save()
        count += 1
    if count:
        listings_changed()
    return count


def reject_changes(changes, user) -> int:
    """Keep our version; upstream's next change is offered again."""
    return changes.filter(status=ChangeStatus.PENDING).update(
        status=ChangeStatus.REJECTED, decided_at=timezone.now(), decided_by=user
    )
