"""The review queue, the workflow moves that ask for a note or a reason, and the import preview,
in the admin.

Publishers land on the queue (it leads the admin index): each listing waiting for review with
who submitted it, when, and their note; a publisher publishes it or sends it back with a note,
and the curator who submitted it may withdraw it. Archiving asks for confirmation and a reason,
and an archived listing can be restored to draft. Every move is a POST (with Django's CSRF
check) that calls `opportunities.publishing`, which records it in the listing's history.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opportunities import importing, publishing, review
from opportunities.models import Listing, ReviewOutcome, Status

NOTE_WIDGET = forms.Textarea(attrs={"rows": 4, "cols": 60})


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the reviewer"),
        required=False,
        max_length=2000,
        widget=NOTE_WIDGET,
        help_text=gettext_lazy("Optional: what changed, what to check, why it matters."),
    )


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What should change"),
        max_length=2000,
        widget=NOTE_WIDGET,
        help_text=gettext_lazy("The curator sees this note in the listing's review history."),
        error_messages={"required": gettext_lazy("Say what should change before sending back.")},
    )


class ArchiveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Reason for archiving"),
        max_length=90,
        help_text=gettext_lazy("Kept in each listing's history, e.g. “Program cancelled”."),
        error_messages={"required": gettext_lazy("Give a reason for archiving.")},
    )


class RestoreForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Reason for restoring"),
        max_length=80,
        help_text=gettext_lazy("Kept in each listing's history, e.g. “Archived by mistake”."),
        error_messages={"required": gettext_lazy("Give a reason for restoring.")},
    )


class MergeForm(forms.Form):
    keep = forms.TypedChoiceField(
        label=gettext_lazy("Listing to keep"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the listing to keep.")},
    )

    def __init__(self, *args, listings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (listing.pk, f"{listing.title} (#{listing.pk}, {listing.get_status_display()})")
            for listing in listings
        ]


def merge_duplicates(model_admin, request, queryset):
    """Choose the listing to keep among the selected ones; the others are merged into it."""
    listings = list(queryset.order_by("pk"))
    status = 200
    form = MergeForm(listings=listings)
    if len(listings) < 2:
        model_admin.message_user(
            request, _("Select the duplicates and the listing to keep them in."), messages.ERROR
        )
        return None
    if "post" in request.POST:
        form = MergeForm(request.POST, listings=listings)
        if form.is_valid():
            keep = next(listing for listing in listings if listing.pk == form.cleaned_data["keep"])
            done = _("%(n)d duplicate(s) merged into “%(title)s”.")
            try:
                count = publishing.merge_duplicates(keep, listings, request.user)
            except publishing.TransitionError as error:
                model_admin.message_user(request, str(error), messages.ERROR)
            else:
                model_admin.message_user(
                    request, done % {"n": count, "title": keep.title}, messages.SUCCESS
                )
            return None
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Merge duplicates"),
        "intro": _(
            "The listing you keep gains the others' topics, regions, countries and states. "
            "Drafts that were never published are deleted; the others are archived. Both are "
            "kept in the history."
        ),
        "button": _("Merge into the listing kept"),
        "form": form,
        "listings": listings,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": model_admin.model._meta,
        "media": model_admin.media,
    }
    return TemplateResponse(
        request, "admin/opportunities/listing/confirm_action.html", context, status=status
    )


def confirm_with_note(model_admin, request, queryset, *, form_class, title, intro, button, move,
                      done):  # fmt: skip
    """An admin action in two steps: a page that lists the chosen listings and asks for a note,
    then the move. A missing or too long note shows the page again with a 400 status."""
    status = 200
    form = form_class()
    if "post" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            note = form.cleaned_data["note"]
            model_admin._transition(
                request, queryset, lambda listings, user: move(listings, user, note), done
            )
            return None
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "button": button,
        "form": form,
        "listings": queryset,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": model_admin.model._meta,
        "media": model_admin.media,
    }
    return TemplateResponse(
        request, "admin/opportunities/listing/confirm_action.html", context, status=status
    )


# Views of the queue: `model_admin` is the ListingAdmin that routes to them. -----------------


def queue_view(request, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    submissions = list(review.waiting_submissions())
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("In review"),
        "opts": model_admin.model._meta,
        "submissions": submissions,
        "can_publish": model_admin.has_publish_permission(request),
        "user_id": request.user.pk,
        "can_submit": model_admin.has_submit_permission(request),
    }
    return TemplateResponse(request, "admin/opportunities/listing/review_queue.html", context)


def _in_review(object_id) -> Listing:
    return get_object_or_404(Listing, pk=object_id, status=Status.IN_REVIEW)


def _waiting_submission(listing: Listing):
    return listing.review_submissions.filter(outcome=ReviewOutcome.WAITING).first()


def _move(model_admin, request, listings, move, done: str):
    try:
        move(listings, request.user)
    except publishing.TransitionError as error:
        model_admin.message_user(request, str(error), messages.ERROR)
    else:
        model_admin.message_user(request, done, messages.SUCCESS)
    return redirect("admin:listing_review_queue")


@require_POST
def publish_view(request, model_admin, object_id):
    if not model_admin.has_publish_permission(request):
        raise PermissionDenied
    listing = _in_review(object_id)
    done = _("“%(title)s” published or scheduled.") % {"title": listing.title}
    return _move(model_admin, request, [listing], publishing.publish, done)


def send_back_view(request, model_admin, object_id):
    if not model_admin.has_publish_permission(request):
        raise PermissionDenied
    listing = _in_review(object_id)
    form = SendBackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = _("“%(title)s” sent back to draft.") % {"title": listing.title}
            note = form.cleaned_data["note"]
            return _move(
                model_admin,
                request,
                [listing],
                lambda listings, user: publishing.return_to_draft(listings, user, note),
                done,
            )
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Send “%(title)s” back") % {"title": listing.title},
        "opts": model_admin.model._meta,
        "listing": listing,
        "submission": _waiting_submission(listing),
        "form": form,
    }
    return TemplateResponse(
        request, "admin/opportunities/listing/review_send_back.html", context, status=status
    )


@require_POST
def withdraw_view(request, model_admin, object_id):
    listing = _in_review(object_id)
    submission = _waiting_submission(listing)
    own = submission is not None and submission.submitted_by_id == request.user.pk
    allowed = model_admin.has_publish_permission(request) or (
        own and model_admin.has_submit_permission(request)
    )
    if not allowed:
        raise PermissionDenied
    done = _("“%(title)s” withdrawn from review; it is a draft again.") % {"title": listing.title}
    return _move(model_admin, request, [listing], publishing.withdraw, done)


# The CSV import: upload, preview, confirm. --------------------------------------------------

PREVIEW_SECONDS = 60 * 60


class ImportForm(forms.Form):
    csv_file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8 CSV with the columns listed below; at most 5 MB and 5,000 rows."
        ),
    )


def _preview_key(request, token: str) -> str:
    return f"listing-import-preview:{request.user.pk}:{token}"


def import_view(request, model_admin):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form, report, token, status = ImportForm(), None, "", 200
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        upload = cache.get(_preview_key(request, token)) if token else None
        if upload is None:
            model_admin.message_user(
                request, _("That preview has expired; upload the file again."), messages.ERROR
            )
            status = 400
        else:
            keep = frozenset(int(line) for line in request.POST.getlist("keep") if line.isdigit())
            rows, problems = importing.read_csv(upload)
            report = importing.import_rows(
                rows, user=request.user, skip_duplicates=True, keep_lines=keep
            )
            if report.ok:
                cache.delete(_preview_key(request, token))
                model_admin.message_user(request, report.summary(), messages.SUCCESS)
                return redirect("admin:opportunities_listing_changelist")
            status = 400  # the portal changed since the preview (a draft was published, say)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["csv_file"].read()
            rows, problems = importing.read_csv(upload)
            report = importing.ImportReport(problems=problems)
            if not problems:
                report = importing.import_rows(
                    rows, user=request.user, dry_run=True, skip_duplicates=True
                )
            if report.ok:
                token = secrets.token_urlsafe(16)
                cache.set(_preview_key(request, token), upload, PREVIEW_SECONDS)
            else:
                status = 400
        else:
            status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import listings from CSV"),
        "opts": model_admin.model._meta,
        "form": form,
        "report": report,
        "token": token,
        "columns": [
            *importing.COLUMNS.items(),
            *importing.UPDATE_COLUMNS.items(),
            *importing.SPANISH_COLUMNS.items(),
        ],
    }
    return TemplateResponse(
        request, "admin/opportunities/listing/import.html", context, status=status
    )
