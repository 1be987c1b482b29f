"""Sources in the admin: staff set up and enable sources, see each one's health and runs, run
one now, and publishers accept or reject upstream changes to published listings.

Every action is a POST with the admin's CSRF token and declares the permission it needs.
"""

import logging

import kombu.exceptions
from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opportunities.models import ChangeStatus, Source, SourceRun, Status, UpstreamChange
from opportunities.sources import syncing

logger = logging.getLogger(__name__)

RECENT_RUNS = 10


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "enabled",
        "last_run_at",
        "last_success_at",
        "last_counts",
        "short_error",
        "to_review",
    ]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "endpoint"]
    readonly_fields = [
        "last_run_at",
        "last_success_at",
        "last_error",
        "failures_in_a_row",
        "last_counts",
        "to_review",
        "recent_runs",
    ]
    fieldsets = [
        (None, {"fields": ["name", "kind", "endpoint", "enabled"]}),
        (_("What to read and how to map it"), {"fields": ["query", "mapping"]}),
        (_("Review"), {"fields": ["publish_directly", "trusted"]}),
        (_("Schedule"), {"fields": ["interval", "next_run_at"]}),
        (
            _("Health"),
            {
                "fields": [
                    "last_run_at",
                    "last_success_at",
                    "failures_in_a_row",
                    "last_error",
                    "last_counts",
                    "to_review",
                    "recent_runs",
                ]
            },
        ),
    ]
    actions = ["run_now", "enable", "disable"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm("opportunities.run_source")

    @admin.display(description=_("last run: seen, new, changed, closed, skipped"))
    def last_counts(self, source):
        return (
            f"{source.items_seen}, {source.items_new}, {source.items_changed}, "
            f"{source.items_closed}, {source.items_skipped}"
        )

    @admin.display(description=_("last error"))
    def short_error(self, source):
        return source.last_error[:80]

    @admin.display(description=_("to review"))
    def to_review(self, source):
        drafts = source.listings.filter(status=Status.DRAFT).count()
        changes = source.changes.filter(status=ChangeStatus.PENDING).count()
        listings_url = reverse("admin:opportunities_listing_changelist")
        changes_url = reverse("admin:opportunities_upstreamchange_changelist")
        return format_html(
            '<a href="{}?source__exact={}&amp;status__exact=draft">{}</a>, '
            '<a href="{}?source__id__exact={}&amp;status__exact=pending">{}</a>',
            listings_url,
            source.pk,
            ngettext("%d new draft", "%d new drafts", drafts) % drafts,
            changes_url,
            source.pk,
            ngettext("%d upstream change", "%d upstream changes", changes) % changes,
        )

    @admin.display(description=_("recent runs"))
    def recent_runs(self, source):
        runs = source.runs.all()[:RECENT_RUNS]
        if not runs:
            return _("Not run yet.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            _("started"),
            _("status"),
            _("summary"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((f"{run.started_at:%Y-%m-%d %H:%M}", run.get_status_display(), run.summary())
                 for run in runs),
            ),
        )  # fmt: skip

    @admin.action(description=_("Run now (in the background)"), permissions=["run"])
    def run_now(self, request, queryset):
        from opportunities.tasks import sync_source

        try:
            for source in queryset:
                sync_source.delay_on_commit(source.pk)
        except kombu.exceptions.OperationalError as error:  # the broker (Redis) is unreachable
            logger.warning("Could not queue a source run: %s", error)
            self.message_user(
                request,
                _(
                    "The task queue cannot be reached; nothing was queued. Try again in a few "
                    "minutes (the sources also run on schedule)."
                ),
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            _("Queued %(count)d source(s); their health shows the result when done.")
            % {"count": queryset.count()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Enable (run on schedule)"), permissions=["change"])
    def enable(self, request, queryset):
        count = queryset.update(enabled=True, next_run_at=None)
        self.message_user(request, _("Enabled %(count)d source(s).") % {"count": count})

    @admin.action(description=_("Disable"), permissions=["change"])
    def disable(self, request, queryset):
        count = queryset.update(enabled=False)
        self.message_user(request, _("Disabled %(count)d source(s).") % {"count": count})


@admin.register(SourceRun)
class SourceRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started_at", "status", "seen", "new", "changed", "closed", "skipped"]
    list_filter = ["status", "source"]
    readonly_fields = [field.name for field in SourceRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UpstreamChange)
class UpstreamChangeAdmin(admin.ModelAdmin):
    list_display = ["listing", "source", "changed_fields", "detected_at", "status"]
    list_filter = ["status", "source"]
    list_select_related = ["listing", "source"]
    readonly_fields = ["listing", "source", "comparison", "detected_at", "status", "decided_by"]
    fields = readonly_fields
    actions = ["accept", "reject"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("opportunities.publish_listing") and request.user.has_perm(
            "opportunities.change_upstreamchange"
        )

    @admin.display(description=_("fields"))
    def changed_fields(self, change):
        return ", ".join(change.differences)

    @admin.display(description=_("differences"))
    def comparison(self, change):
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            _("field"),
            _("ours now"),
            _("upstream"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((name, ours, theirs) for name, (ours, theirs) in change.differences.items()),
            ),
        )

    @admin.action(description=_("Accept: apply upstream's values"), permissions=["publish"])
    def accept(self, request, queryset):
        count = syncing.accept_changes(queryset, request.user)
        self.message_user(request, _("Applied %(count)d change(s).") % {"count": count})

    @admin.action(description=_("Reject: keep our version"), permissions=["publish"])
    def reject(self, request, queryset):
        count = syncing.reject_changes(queryset, request.user)
        self.message_user(request, _("Rejected %(count)d change(s).") % {"count": count})
