"""Curation in the Django admin: roles, the publishing workflow, preview, history, bulk import."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from modeltranslation.admin import TranslationAdmin

from lib.bilingual_admin import NeedsSpanishFilter, SpanishColumn
from lib.history_admin import GuardedHistoryAdmin
from opportunities import admin_review, dates, importing, markdown, publishing
from opportunities.forms import LISTING_TIMES, ListingTimesForm, WallTimeField
from opportunities.models import Listing, ReviewOutcome, ReviewSubmission, Status, Topic
from opportunities.readability import reading_grade, reading_hint
from opportunities.translation import LISTING_FIELDS, TOPIC_FIELDS

EDITABLE_BY_CURATORS = {Status.DRAFT}
LIVE = {Status.PUBLISHED, Status.SCHEDULED}


class LiveListingForm(ListingTimesForm):
    """Editing what the public sees (or will at a set time) needs a reason for the history."""

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        max_length=100,
        help_text=_(
            "Kept in the listing's history, e.g. “Deadline extended by the sponsor”. The public "
            "sees the change as soon as you save."
        ),
        error_messages={"required": _("Say why you change a published listing.")},
    )


@admin.register(Topic)
class TopicAdmin(SpanishColumn, TranslationAdmin):
    translated_fields = TOPIC_FIELDS
    list_display = ["name", "slug", "is_priority", "spanish"]
    list_filter = ["is_priority", NeedsSpanishFilter]
    search_fields = ["name_en", "name_es"]
    prepopulated_fields = {"slug": ["name"]}


class ExpectedDeadlinePassedFilter(admin.SimpleListFilter):
    """Published listings whose projected deadline passed unconfirmed: cycles to check."""

    title = _("expected deadline")
    parameter_name = "expected_deadline"

    def lookups(self, request, model_admin):
        return [("passed", _("Passed without being confirmed"))]

    def queryset(self, request, queryset):
        if self.value() == "passed":
            return queryset.filter(pk__in=Listing.objects.expected_deadline_passed().values("pk"))
        return queryset


@admin.register(Listing)
class ListingAdmin(SpanishColumn, TranslationAdmin, GuardedHistoryAdmin):
    """Each translated field is shown twice, English then Spanish (modeltranslation's
    TranslationAdmin); the Spanish may stay empty, and the public then sees the English,
    marked as such."""

    form = ListingTimesForm
    translated_fields = LISTING_FIELDS
    list_display = [
        "title",
        "kind",
        "status",
        "deadline_in_zone",
        "published_at",
        "updated_at",
        "spanish",
    ]
    list_filter = [
        "status",
        "kind",
        NeedsSpanishFilter,
        ExpectedDeadlinePassedFilter,
        "deadline_kind",
        "topics",
        "is_global",
        "bureaus",
    ]
    search_fields = ["title_en", "title_es", "sponsor", "summary_en", "summary_es", "slug"]
    date_hierarchy = "deadline"
    list_select_related = True
    show_full_result_count = False
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["countries", "target_states"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    filter_horizontal = ["topics", "bureaus"]
    readonly_fields = ["status", "reading_level", "published_at", "archived_at", "preview_link"]
    history_list_display = ["status"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "status", "preview_link"]}),
        (_("What it is"), {"fields": ["summary", "reading_level", "body", "sponsor", "topics"]}),
        (_("Where abroad"), {"fields": ["is_global", "bureaus", "countries"]}),
        (
            _("Who may apply"),
            {
                "fields": [
                    "audiences",
                    "government_levels",
                    ("min_population", "max_population"),
                    "targets_underserved",
                    "target_states",
                    "education_levels",
                    "us_citizenship_required",
                    ("min_age", "max_age"),
                    "is_paid",
                ]
            },
        ),
        (
            _("When and where"),
            {
                "fields": [
                    "time_zone",
                    ("opens_at", "deadline"),
                    "deadline_kind",
                    ("starts_at", "ends_at"),
                    "format",
                    "duration",
                    "location",
                ]
            },
        ),
        (_("How to apply"), {"fields": ["apply_url", "apply_contact"]}),
        (_("Publishing"), {"fields": ["publish_at", "published_at", "archived_at"]}),
    ]
    actions = [
        "submit_for_review",
        "withdraw_from_review",
        "publish",
        "archive",
        "return_to_draft",
        "restore_to_draft",
        "merge_duplicates",
        "propose_change",
    ]

    class Media:
        js = ["js/reading-grade.js", "js/admin-a11y.js"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status in LIVE:
            kwargs["form"] = LiveListingForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status in LIVE and self.has_change_permission(request, obj):
            return [(_("Why this change"), {"fields": ["change_reason"]}), *fieldsets]
        return fieldsets

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, ArrayField) and db_field.base_field.choices:
            # Tick boxes instead of typing comma-separated codes.
            return forms.TypedMultipleChoiceField(
                choices=db_field.base_field.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label=capfirst(db_field.verbose_name),
            )
        if db_field.name in LISTING_TIMES:
            return WallTimeField(
                end=LISTING_TIMES[db_field.name],
                widget=AdminSplitDateTime,
                required=False,
                label=capfirst(db_field.verbose_name),
                help_text=_(
                    "In the listing's time zone, not yours or the server's. Leave the hour "
                    "empty for the whole day."
                ),
            )
        if db_field.name == "time_zone":
            return forms.ChoiceField(
                choices=dates.zone_choices(),
                initial=db_field.default,
                label=capfirst(db_field.verbose_name),
                error_messages={
                    "invalid_choice": _("“%(value)s” is not a time zone; choose one from the list.")
                },
            )
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("body_en", "body_es"):
            field.help_text = markdown.HELP_TEXT
        if db_field.name in ("summary_en", "summary_es"):
            field.widget.attrs.update({"rows": 3})
        if db_field.name == "summary_en":  # the reading grade is an English measure
            field.widget.attrs.update({"data-reading-grade": "summary"})
        return field

    # Permissions -------------------------------------------------------------------------

    def has_submit_permission(self, request):
        return request.user.has_perm("opportunities.submit_listing")

    def has_publish_permission(self, request):
        return request.user.has_perm("opportunities.publish_listing")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        # Curators edit drafts; what is in review or public is the publishers' to change.
        return obj.status in EDITABLE_BY_CURATORS or self.has_publish_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Published listings are archived, never deleted; unpublished drafts may go, a curator's
        # own only (publishers delete any).
        if obj is not None and (obj.published_at or obj.status != Status.DRAFT):
            return False
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed or self.has_publish_permission(request):
            return allowed
        return obj.created_by_id == request.user.pk

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("change_reason"):
            obj._change_reason = form.cleaned_data["change_reason"]
        super().save_model(request, obj, form, change)
        grade = reading_grade(obj.summary_en or obj.summary)
        if grade is not None and grade > 10:
            self.message_user(request, reading_hint(grade), messages.WARNING)

    # Display -----------------------------------------------------------------------------

    @admin.display(description=_("Deadline"), ordering="deadline")
    def deadline_in_zone(self, obj):
        return dates.deadline_text(obj) if obj.deadline else "—"

    @admin.display(description=_("Reading level of the summary"))
    def reading_level(self, obj):
        grade = reading_grade(obj.summary_en or obj.summary) if obj and obj.summary else None
        return format_html(
            '<span data-reading-grade-output aria-live="polite">{}</span>',
            reading_hint(grade) if grade is not None else _("Type a summary to see its level."),
        )

    @admin.display(description=_("Preview"))
    def preview_link(self, obj):
        if not obj or not obj.pk:
            return _("Save the listing to preview it.")
        return format_html(
            '<a href="{}" target="_blank">{}</a>',
            reverse("opportunities:preview", args=[obj.pk]),
            _("Preview as the public will see it"),
        )

    def view_on_site(self, obj):
        if obj.status in (Status.PUBLISHED, Status.ARCHIVED):
            return obj.get_absolute_url()
        return reverse("opportunities:preview", args=[obj.pk])

    # Workflow actions --------------------------------------------------------------------

    def _transition(self, request, queryset, move, done_message):
        """Run a workflow move on the selected listings and tell staff how it went."""
        try:
            count = move(list(queryset), request.user)
        except publishing.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, done_message % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Submit for review…"), permissions=["submit"])
    def submit_for_review(self, request, queryset):
        return admin_review.confirm_with_note(
            self,
            request,
            queryset,
            form_class=admin_review.SubmitForm,
            title=_("Submit for review"),
            intro=_("A publisher will review these listings; tell them anything they should know."),
            button=_("Submit for review"),
            move=publishing.submit_for_review,
            done=ngettext_lazy(
                "%(n)d listing submitted for review.", "%(n)d listings submitted for review.", "n"
            ),
        )

    @admin.action(description=_("Withdraw from review"), permissions=["withdraw"])
    def withdraw_from_review(self, request, queryset):
        done = ngettext_lazy(
            "%(n)d listing withdrawn from review.", "%(n)d listings withdrawn from review.", "n"
        )
        if not self.has_publish_permission(request):
            own = ReviewSubmission.objects.filter(
                outcome=ReviewOutcome.WAITING, submitted_by=request.user
            ).values("listing_id")
            others = queryset.exclude(pk__in=own)
            if others.exists():
                self.message_user(
                    request, _("You can withdraw only what you submitted."), messages.ERROR
                )
                return
        self._transition(request, queryset, publishing.withdraw, done)

    @admin.action(
        description=_("Publish (or schedule, if a publish time is set)"), permissions=["publish"]
    )
    def publish(self, request, queryset):
        done = ngettext_lazy(
            "%(n)d listing published or scheduled.", "%(n)d listings published or scheduled.", "n"
        )
        self._transition(request, queryset, publishing.publish, done)

    @admin.action(description=_("Archive…"), permissions=["publish"])
    def archive(self, request, queryset):
        return admin_review.confirm_with_note(
            self,
            request,
            queryset,
            form_class=admin_review.ArchiveForm,
            title=_("Archive listings"),
            intro=_(
                "Archived listings leave the public pages, feeds and digests. You can restore "
                "them to draft later."
            ),
            button=_("Yes, archive them"),
            move=lambda listings, user, note: publishing.archive(
                listings, user, reason=f"Archived: {note}"
            ),
            done=ngettext_lazy("%(n)d listing archived.", "%(n)d listings archived.", "n"),
        )

    @admin.action(description=_("Send back to draft…"), permissions=["publish"])
    def return_to_draft(self, request, queryset):
        return admin_review.confirm_with_note(
            self,
            request,
            queryset,
            form_class=admin_review.SendBackForm,
            title=_("Send back to draft"),
            intro=_("These listings go back to their curators as drafts, with your note."),
            button=_("Send back to draft"),
            move=publishing.return_to_draft,
            done=ngettext_lazy(
                "%(n)d listing returned to draft.", "%(n)d listings returned to draft.", "n"
            ),
        )

    @admin.action(description=_("Restore archived to draft…"), permissions=["publish"])
    def restore_to_draft(self, request, queryset):
        return admin_review.confirm_with_note(
            self,
            request,
            queryset,
            form_class=admin_review.RestoreForm,
            title=_("Restore to draft"),
            intro=_(
                "These archived listings become drafts again, with their text as it is now; "
                "publish them again through review."
            ),
            button=_("Restore to draft"),
            move=publishing.restore_to_draft,
            done=ngettext_lazy(
                "%(n)d listing restored to draft.", "%(n)d listings restored to draft.", "n"
            ),
        )

    @admin.action(description=_("Merge duplicates…"), permissions=["publish"])
    def merge_duplicates(self, request, queryset):
        return admin_review.merge_duplicates(self, request, queryset)

    @admin.action(description=_("Propose a change (a draft copy for review)"),
                  permissions=["submit"])  # fmt: skip
    def propose_change(self, request, queryset):
        listings = list(queryset[:2])
        if len(listings) != 1:
            self.message_user(request, _("Select one published listing."), messages.ERROR)
            return None
        try:
            draft = publishing.propose_revision(listings[0], request.user)
        except publishing.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(
            request,
            _("Change the draft copy, then submit it; the live listing stays as it is until a "
              "publisher approves."),
            messages.SUCCESS,
        )  # fmt: skip
        return redirect("admin:opportunities_listing_change", draft.pk)

    def has_withdraw_permission(self, request):
        return self.has_submit_permission(request) or self.has_publish_permission(request)

    # Extra pages: bulk import, its template, and the live reading-level hint --------------

    def get_urls(self):
        def view(function):
            def routed(request, **kwargs):
                return function(request, self, **kwargs)

            return self.admin_site.admin_view(routed)

        extra = [
            path("review/", view(admin_review.queue_view), name="listing_review_queue"),
            path(
                "review/<int:object_id>/publish/",
                view(admin_review.publish_view),
                name="listing_review_publish",
            ),
            path(
                "review/<int:object_id>/send-back/",
                view(admin_review.send_back_view),
                name="listing_review_send_back",
            ),
            path(
                "review/<int:object_id>/withdraw/",
                view(admin_review.withdraw_view),
                name="listing_review_withdraw",
            ),
            path("import/", self.admin_site.admin_view(self.import_view), name="listing_import"),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="listing_import_template",
            ),
            path(
                "reading-grade/",
                self.admin_site.admin_view(self.reading_grade_view),
                name="listing_reading_grade",
            ),
        ]
        return extra + super().get_urls()

    def import_view(self, request):
        return admin_review.import_view(request, self)

    def import_template_view(self, request):
        response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="listings-template.csv"'
        return response

    def reading_grade_view(self, request):
        text = request.GET.get("text", "")[:2000]
        grade = reading_grade(text)
        hint = (
            reading_hint(grade) if grade is not None else str(_("Type a summary to see its level."))
        )
        return JsonResponse({"grade": grade, "hint": hint})


# API keys and the digests are administered with the rest of the app.
from opportunities.digests import admin as digest_admin  # noqa: E402, F401, I001 - registers the digest models
from opportunities.api import admin as api_admin  # noqa: E402, F401 - registers API keys
