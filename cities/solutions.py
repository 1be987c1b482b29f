"""Local solutions from submission to the public library.

A local leader submits a solution; it waits, unseen by staff, until they confirm their address
through the signed link we email them. Staff then move it new → under review → published or
declined (with a reason, emailed to the submitter). The same signed link shows the submitter
the status at any time. Views, admin actions and the admin's change form all call these
functions.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cities.models import LocalSolution, Place, SolutionStatus
from lib.mail import absolute_url, send_email
from lib.signed_links import BadLink, LinkKind

# A confirmation link also shows the submission's status later, so it lasts a season.
STATUS_LINK = LinkKind("cities.solution", timedelta(days=90))

# Where staff may move a solution from each status.
MOVES = {
    SolutionStatus.NEW: {SolutionStatus.UNDER_REVIEW, SolutionStatus.PUBLISHED,
                         SolutionStatus.DECLINED},
    SolutionStatus.UNDER_REVIEW: {SolutionStatus.PUBLISHED, SolutionStatus.DECLINED},
    SolutionStatus.PUBLISHED: {SolutionStatus.UNDER_REVIEW},
    SolutionStatus.DECLINED: {SolutionStatus.UNDER_REVIEW},
}  # fmt: skip


def token_for(solution: LocalSolution) -> str:
    return STATUS_LINK.sign(solution.pk)


def status_url(solution: LocalSolution) -> str:
    return absolute_url(reverse("solutions:status", args=[token_for(solution)]))


def solution_for_token(token: str) -> LocalSolution:
    """The solution a signed link points to; BadLink when the link is damaged, too old or its
    solution is gone."""
    pk = STATUS_LINK.read(token)[0]
    solution = LocalSolution.objects.select_related("place__state", "topic").filter(pk=pk).first()
    if solution is None:
        raise BadLink("no such solution")
    return solution


@transaction.atomic  # the submission and its confirmation email commit together, or neither
def submit_solution(*, place: Place, **fields) -> LocalSolution:
    """Save a submission (unseen by staff until confirmed) and email the confirmation link."""
    solution = LocalSolution.objects.create(
        place=place, language=translation.get_language() or "en", **fields
    )
    # Until the address is confirmed, the message carries only our own words and the link:
    # nothing the form's sender wrote (else anyone could have us mail their text to anyone).
    with translation.override(solution.language):
        subject = str(_("Confirm your local solution"))
    send_email(
        "solution_confirm",
        {"status_url": status_url(solution)},
        [solution.contact_email],
        subject=subject,
        language=solution.language,
        cause=f"cities.localsolution:{solution.pk}",
    )
    return solution


def confirm_solution(solution: LocalSolution) -> bool:
    """Hand the solution to staff; False when it was confirmed already (safe to repeat)."""
    with transaction.atomic():
        locked = (
            LocalSolution.objects.select_for_update()
            .filter(pk=solution.pk, status=SolutionStatus.UNCONFIRMED)
            .first()
        )
        if locked is not None:
            locked.status, locked.confirmed_at = SolutionStatus.NEW, timezone.now()
            locked._change_reason = "Confirmed by the submitter"
            locked.save(update_fields=["status", "confirmed_at", "updated_at"])
    solution.refresh_from_db()
    return locked is not None


def check_move(previous: str, status: str, reason: str = "") -> None:
    """Raise a ValidationError for staff when the move is not allowed."""
    if status == previous:
        return
    if status not in MOVES.get(previous, set()):
        raise ValidationError(
            _("A solution that is “%(previous)s” cannot become “%(status)s”."),
            params={
                "previous": SolutionStatus(previous).label,
                "status": SolutionStatus(status).label,
            },
        )
    if status == SolutionStatus.DECLINED and not reason.strip():
        raise ValidationError(
            {"decline_reason": _("Say why the solution is declined: the submitter reads it.")}
        )


@transaction.atomic  # the new status and the email telling the submitter commit together
def move_solution(solution: LocalSolution, status: str, reason: str = "") -> None:
    check_move(solution.status, status, reason)
    if status == solution.status:
        return
    solution.status = status
    if status == SolutionStatus.DECLINED:
        solution.decline_reason = reason
    solution.save()
    after_move(solution)


def after_move(solution: LocalSolution) -> None:
    """Once the new status is saved (in the caller's transaction): stamp publication and queue
    the email telling the submitter."""
    if solution.status == SolutionStatus.PUBLISHED and solution.published_at is None:
        solution.published_at = timezone.now()
        solution.save(update_fields=["published_at", "updated_at"])
    if solution.status == SolutionStatus.PUBLISHED:
        _notify(solution, "solution_published", _("Your local solution is published"))
    elif solution.status == SolutionStatus.DECLINED:
        _notify(solution, "solution_declined", _("About your local solution"))


def _notify(solution: LocalSolution, template: str, subject) -> None:
    context = {
        "solution": solution,
        "status_url": status_url(solution),
        "public_url": absolute_url(solution.get_absolute_url()),
    }
    with translation.override(solution.language):
        subject = str(subject)
    send_email(
        template,
        context,
        [solution.contact_email],
        subject=subject,
        language=solution.language,
        cause=f"cities.localsolution:{solution.pk}",
    )


def topic_sources():
    """For peer places: published solutions tie their place to their topic."""
    return [(LocalSolution.objects.published(), "topic", "place")]
