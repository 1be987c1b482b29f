"""The curation workflow: draft → in review → (scheduled →) published → archived.

Every transition is one function that views, admin actions, Celery tasks and commands share.
Each records who did it in the listing's history, also when many listings move at once.
Listings are archived, never deleted, once published. Submitting opens a `ReviewSubmission`
(who, when, the note to the reviewer); every move out of review closes it with the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lib import mail
from lib.history import record_bulk_history
from opportunities.models import (
    Listing,
    ListingRevision,
    ReviewOutcome,
    ReviewSubmission,
    Status,
    many_to_many,
)
from opportunities.search import listings_changed
from opportunities.translation import LISTING_FIELDS

TRANSITION_FIELDS = ["status", "published_at", "archived_at", "updated_at"]
ADMIN_CHANGE = "admin:opportunities_listing_change"
User = get_user_model()
# simple_history keeps at most 100 characters of a change reason.
REASON_LENGTH = 100


class TransitionError(Exception):
    """A listing cannot make the requested move; the message says why, for staff."""


def _save(listings: list[Listing], user, reason: str) -> int:
    now = timezone.now()
    for listing in listings:
        listing.updated_at = now
    Listing.objects.bulk_update(listings, TRANSITION_FIELDS)
    record_bulk_history(listings, user=user, reason=reason)
    if listings:
        listings_changed()
    return len(listings)


def _reason(action: str, note: str = "") -> str:
    note = " ".join(note.split())
    if not note:
        return action
    reason = f"{action}: {note}"
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def _close_submissions(listings: list[Listing], user, outcome: str, note: str = "") -> None:
    ReviewSubmission.objects.filter(listing__in=listings, outcome=ReviewOutcome.WAITING).update(
        outcome=outcome, decided_by=user, decided_at=timezone.now(), decision_note=note
    )


def _check(listings: Iterable[Listing], allowed: set[str], action: str) -> list[Listing]:
    listings = list(listings)
    wrong = [listing for listing in listings if listing.status not in allowed]
    if wrong:
        names = ", ".join(
            f"“{listing.title}” ({listing.get_status_display()})" for listing in wrong
        )
        raise TransitionError(f"Cannot {action}: {names}.")
    return listings


@transaction.atomic
def submit_for_review(listings: Iterable[Listing], user, note: str = "") -> int:
    listings = _check(listings, {Status.DRAFT}, "submit for review")
    for listing in listings:
        listing.status = Status.IN_REVIEW
    ReviewSubmission.objects.bulk_create(
        ReviewSubmission(listing=listing, submitted_by=user, note=note.strip())
        for listing in listings
    )
    return _save(listings, user, _reason("Submitted for review", note))


@transaction.atomic
def return_to_draft(listings: Iterable[Listing], user, note: str = "") -> int:
    """A publisher sends listings back to their curators, with a note saying what to change."""
    listings = _check(listings, {Status.IN_REVIEW, Status.SCHEDULED}, "return to draft")
    for listing in listings:
        listing.status = Status.DRAFT
    _close_submissions(listings, user, ReviewOutcome.SENT_BACK, note.strip())
    return _save(listings, user, _reason("Returned to draft", note))


@transaction.atomic
def withdraw(listings: Iterable[Listing], user) -> int:
    """The curator takes a submission back to keep working on it."""
    listings = _check(listings, {Status.IN_REVIEW}, "withdraw from review")
    for listing in listings:
        listing.status = Status.DRAFT
    _close_submissions(listings, user, ReviewOutcome.WITHDRAWN)
    return _save(listings, user, "Withdrawn from review")


@transaction.atomic
def publish(listings: Iterable[Listing], user, now=None) -> int:
    """Publish now, or schedule those whose publish-at time is still to come. A proposed change
    to a live listing is copied onto it instead (see `propose_revision`)."""
    now = now or timezone.now()
    listings = _check(listings, {Status.IN_REVIEW, Status.SCHEDULED}, "publish")
    revisions = {
        link.draft_id: link
        for link in ListingRevision.objects.filter(draft__in=listings).select_related("live")
    }
    drafts = [listing for listing in listings if listing.pk in revisions]
    listings = [listing for listing in listings if listing.pk not in revisions]
    applied = [_apply_revision(revisions[draft.pk], draft, user) for draft in drafts]
    for listing in listings:
        if listing.publish_at and listing.publish_at > now:
            listing.status = Status.SCHEDULED
        else:
            listing.status = Status.PUBLISHED
            listing.published_at = now
            listing.archived_at = None
    _close_submissions(listings, user, ReviewOutcome.APPROVED)
    return _save(listings, user, "Approved for publication") + len(applied)


# Listing fields a proposed change carries; workflow, address and bookkeeping stay the live one's.
NOT_REVISED = {"id", "slug", "status", "published_at", "archived_at", "created_at", "updated_at",
               "created_by", "search_vector", "search_vector_es", "publish_at",
               # Provenance stays with the live listing (one listing per source item).
               "source", "external_id", "fetched_at", "last_checked_at", "upstream",
               "upstream_digest"}  # fmt: skip
RELATIONS = ("topics", "bureaus", "countries", "target_states")


def revised_fields() -> list[str]:
    """The columns a revision copies; a translated text by its language columns (title_en,
    title_es), not by its original name, which reads the active language."""
    return [
        f.name
        for f in Listing._meta.concrete_fields
        if f.name not in NOT_REVISED and f.name not in LISTING_FIELDS
    ]


def _copy_relations(source: Listing, targets: list[Listing]) -> None:
    """Replace the targets' many-to-many links with the source's, without m2m signals (the
    history record written afterwards carries the links)."""
    for name in RELATIONS:
        through, owner, other = many_to_many(name)
        through.objects.filter(**{f"{owner}__in": targets}).delete()
        ids = list(through.objects.filter(**{owner: source}).values_list(f"{other}_id", flat=True))
        through.objects.bulk_create(
            through(**{f"{owner}_id": target.pk, f"{other}_id": pk})
            for target in targets
            for pk in ids
        )


@transaction.atomic
def propose_revision(live: Listing, user) -> Listing:
    """A draft copy of a live listing for a curator to change and submit; the live listing
    stays as it is until a publisher approves the copy."""
    if live.status not in {Status.PUBLISHED, Status.SCHEDULED}:
        raise TransitionError(
            f"Cannot propose a change to “{live.title}”: it is not live; edit it."
        )
    existing = ListingRevision.objects.filter(live=live).select_related("draft").first()
    if existing is not None:
        raise TransitionError(
            f"“{live.title}” already has a proposed change: “{existing.draft.title}” "
            f"(#{existing.draft_id}); change that one."
        )
    draft = Listing(**{name: getattr(live, name) for name in revised_fields()})
    draft.slug = f"{live.slug[:200]}-change-{live.pk}"
    draft.status = Status.DRAFT
    draft.created_by = user
    draft.save_without_historical_record()
    _copy_relations(live, [draft])
    ListingRevision.objects.create(live=live, draft=draft, proposed_by=user)
    record_bulk_history([draft], user=user, reason=_reason("Proposed change to", live.title),
                        created=True)  # fmt: skip
    return draft


def _apply_revision(link: ListingRevision, draft: Listing, user) -> Listing:
    live = link.live
    fields = revised_fields()
    for name in fields:
        setattr(live, name, getattr(draft, name))
    live.updated_at = timezone.now()
    # The original columns of translated texts too, which read English in English.
    with translation.override("en"):
        # rewrite(False): modeltranslation would turn `title` into `title_en` in the UPDATE.
        Listing.objects.rewrite(False).bulk_update([live], [*fields, *LISTING_FIELDS, "updated_at"])
    _copy_relations(draft, [live])
    who = link.proposed_by.get_username() if link.proposed_by else "a curator"
    record_bulk_history([live], user=user, reason=_reason("Approved change proposed by", who))
    _close_submissions([draft], user, ReviewOutcome.APPROVED)
    # The copy has done its work; its history (and the live listing's) keeps what changed.
    draft._change_reason = _reason("Approved into", f"“{live.title}” (#{live.pk})")
    draft._history_user = user
    draft.delete()
    listings_changed()
    return live


@transaction.atomic
def archive(listings: Iterable[Listing], user, reason: str = "Archived") -> int:
    listings = _check(listings, {Status.PUBLISHED, Status.SCHEDULED}, "archive")
    now = timezone.now()
    for listing in listings:
        listing.status = Status.ARCHIVED
        listing.archived_at = now
    return _save(listings, user, reason)


@transaction.atomic
def restore_to_draft(listings: Iterable[Listing], user, reason: str = "") -> int:
    """Undo an archiving: the listing becomes a draft again with its text as it is now."""
    listings = _check(listings, {Status.ARCHIVED}, "restore to draft")
    for listing in listings:
        listing.status = Status.DRAFT
        listing.archived_at = None
    return _save(listings, user, _reason("Restored to draft", reason))


MERGED_RELATIONS = ("topics", "bureaus", "countries", "target_states")


@transaction.atomic
def merge_duplicates(keep: Listing, duplicates: Iterable[Listing], user) -> int:
    """Fold duplicates into the listing kept: it gains their topics, regions, countries and
    target states; drafts never published are deleted, the others archived, each with a reason
    naming the listing kept. Returns how many duplicates went."""
    duplicates = [listing for listing in duplicates if listing.pk != keep.pk]
    if not duplicates:
        raise TransitionError("Choose at least two listings: the one to keep and its duplicates.")
    if keep.status == Status.ARCHIVED:
        raise TransitionError(f"Cannot keep “{keep.title}”: it is archived; restore it first.")
    merged = ", ".join(f"#{listing.pk}" for listing in duplicates)
    for name in MERGED_RELATIONS:
        through, source, target = many_to_many(name)
        ids = set(
            through.objects.filter(**{f"{source}__in": duplicates}).values_list(
                f"{target}_id", flat=True
            )
        )
        getattr(keep, name).add(*ids)
    reason = _reason("Merged into", f"“{keep.title}” (#{keep.pk})")
    to_archive = []
    for listing in duplicates:
        if listing.status == Status.DRAFT and not listing.published_at:
            listing._change_reason = reason
            listing._history_user = user
            listing.delete()
        elif listing.status != Status.ARCHIVED:
            listing.status = Status.ARCHIVED
            listing.archived_at = timezone.now()
            to_archive.append(listing)
    _close_submissions(to_archive, user, ReviewOutcome.WITHDRAWN, reason)
    _save(to_archive, user, reason)
    _save([keep], user, _reason("Merged duplicates into this listing", merged))
    return len(duplicates)


def publish_scheduled_listings(now=None) -> int:
    """Publish every scheduled listing whose time has come (run by Celery beat)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Listing.objects.select_for_update(skip_locked=True).filter(
                status=Status.SCHEDULED, publish_at__lte=now
            )
        )
        for listing in due:
            listing.status = Status.PUBLISHED
            listing.published_at = listing.publish_at
        return _save(due, None, "Published on schedule")


def archive_expired_listings(now=None) -> int:
    """Archive published listings whose confirmed deadline passed or whose event ended. They
    left search, feeds and digests at that moment already (ListingQuerySet.open()); this
    records it. A passed *expected* deadline stays published, out of search, on the curators'
    list of cycles to confirm (expected_deadline_report)."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = Listing.objects.closed(now).exclude(
            pk__in=Listing.objects.expected_deadline_passed(now).values("pk")
        )
        expired = list(
            Listing.objects.select_for_update(skip_locked=True).filter(pk__in=closed.values("pk"))
        )
        return archive(expired, None, reason="Archived automatically after its closing date")


def expected_deadline_report(now=None) -> int:
    """Email staff who may publish the listings whose expected deadline passed without being
    confirmed (run weekly by Celery beat); return how many listings it named."""
    listings = list(Listing.objects.expected_deadline_passed(now).order_by("deadline", "id"))
    if not listings:
        return 0
    recipients = sorted(
        {
            user.email
            for user in User.objects.filter(is_active=True, is_staff=True).exclude(email="")
            if user.has_perm("opportunities.publish_listing")
        }
    )
    if not recipients:
        return len(listings)
    changelist = reverse("admin:opportunities_listing_changelist")
    items = [
        {"listing": listing, "url": mail.absolute_url(reverse(ADMIN_CHANGE, args=[listing.pk]))}
        for listing in listings
    ]
    mail.send_email(
        "expected_deadlines",
        {
            "items": items,
            "list_url": mail.absolute_url(f"{changelist}?expected_deadline=passed"),
        },
        recipients,
        subject=_("Expected deadlines to confirm: %(n)d") % {"n": len(listings)},
    )
    return len(listings)
