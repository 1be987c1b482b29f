"""Outgoing mail in the admin: read-only, filtered by status, stuck mail marked, failed mail
retried by staff who hold `outbox.retry_outgoingmail` (the Administrator group). Messages
carry signed links meant for their recipients, so only that group sees them at all."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lib.outbox import sending
from lib.outbox.models import MailStatus, OutgoingMail


class StuckFilter(admin.SimpleListFilter):
    """ "Needs attention": the rows the model's manager calls stuck (outgoing mail here, digest
    deliveries in opportunities/digests/admin.py)."""

    title = _("needs attention")
    parameter_name = "stuck"
    label = _("Stuck: failed, or waiting past its time")

    def lookups(self, request, model_admin):
        return [("yes", self.label)]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=queryset.model.objects.stuck().values("pk"))
        return queryset


class StuckMarkMixin:
    """A changelist whose rows know whether the model's manager calls them stuck (`is_stuck`,
    one EXISTS each) and whose status column says so (outgoing mail, digest deliveries)."""

    def get_queryset(self, request):
        stuck = self.model.objects.stuck().filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_stuck=Exists(stuck))

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, row):
        if getattr(row, "is_stuck", False):
            return format_html(
                '<strong class="outbox-stuck">{} — {}</strong>', row.get_status_display(),
                _("stuck"),
            )  # fmt: skip
        return row.get_status_display()


@admin.register(OutgoingMail)
class OutgoingMailAdmin(StuckMarkMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "subject",
        "recipients",
        "status_shown",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = [StuckFilter, "status", "kind"]
    date_hierarchy = "created_at"
    search_fields = ["subject", "kind", "cause"]
    actions = ["retry_selected"]
    list_per_page = 100
    fields = [
        "status",
        "kind",
        "cause",
        "from_email",
        "to",
        "subject",
        "language",
        "headers",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sending_since",
        "sent_at",
        "last_error",
        "body_text",
        "body_html",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # mail is queued by the portal, never written by hand

    def has_change_permission(self, request, obj=None):
        return False  # bodies and recipients stay as they were queued

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was sent

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("outbox.retry_outgoingmail")

    @admin.display(description=_("to"))
    def recipients(self, mail):
        return ", ".join(mail.to)

    @admin.display(description=_("last error"))
    def short_error(self, mail):
        return mail.last_error[:120]

    def changelist_view(self, request, extra_context=None):
        stuck = OutgoingMail.objects.stuck().count() if request.method == "GET" else 0
        if stuck:
            messages.warning(
                request,
                ngettext(
                    "%(count)d message is stuck (failed, or waiting more than %(minutes)d "
                    "minutes past its time): see “Stuck” under “needs attention”.",
                    "%(count)d messages are stuck (failed, or waiting more than %(minutes)d "
                    "minutes past their time): see “Stuck” under “needs attention”.",
                    stuck,
                )
                % {"count": stuck, "minutes": settings.OUTBOX_STUCK_MINUTES},
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Send the selected failed mail again"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        count = sending.retry(queryset.filter(status=MailStatus.FAILED).values_list("pk"))
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued again; the worker sends it shortly.",
                "%(count)d messages queued again; the worker sends them shortly.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected message was left alone: only failed mail is retried.",
                    "%(count)d selected messages were left alone: only failed mail is retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
