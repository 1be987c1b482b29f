"""Digests in the admin: runs with counts and timing, subscriptions with their delivery log,
every delivery with the stuck ones marked (the digests' outbox), a preview of the next digest
and a test digest to oneself. Subscribers' addresses are shown only
to staff with the `view_subscriber_email` permission: other staff see them masked, also inside
bounce messages, and cannot filter by them (an `?email__startswith=` would test addresses)."""

import re

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lib.history_admin import GuardedHistoryAdmin
from lib.outbox.admin import StuckFilter, StuckMarkMixin
from opportunities import digests
from opportunities.models import DigestDelivery, DigestRun, Subscription

EMAIL_PERMISSION = "opportunities.view_subscriber_email"
# Where subscribers' addresses are stored: their own field, and bounce messages that quote them.
ADDRESS_FIELDS = {(Subscription, "email"), (DigestDelivery, "error")}
ADDRESS = re.compile(r"([^\s<>()\[\]'\"@,;:]+)@([\w.-]+)")


def redact_addresses(text: str) -> str:
    """Mask every address in a text the way `Subscription.masked_email` does."""
    return ADDRESS.sub(lambda match: f"{match[1][:1]}•••@{match[2]}", text)


def reads_addresses(model, lookup: str) -> bool:
    """Whether a changelist lookup (`email__regex`, `deliveries__error__contains`) reaches a
    field that holds subscribers' addresses."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if (model, field.name) in ADDRESS_FIELDS:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


class AddressLookupsMixin:
    """Filtering by a subscriber's address is for staff who may see addresses."""

    def lookup_allowed(self, lookup, value, request=None):
        if reads_addresses(self.model, lookup) and not (
            request and request.user.has_perm(EMAIL_PERMISSION)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DigestRun)
class DigestRunAdmin(AddressLookupsMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "period",
        "started_at",
        "took",
        "subscribers",
        "matched",
        "sent",
        "skipped",
        "failed",
        "progress",
    ]
    list_filter = ["frequency"]
    date_hierarchy = "started_at"

    @admin.display(description=_("took"))
    def took(self, run):
        duration = run.duration
        return _("running") if duration is None else f"{duration.total_seconds():.1f} s"

    @admin.display(description=_("chunks done"))
    def progress(self, run):
        return f"{min(run.chunks_done, run.chunks_total)} / {run.chunks_total}"


class StuckDeliveryFilter(StuckFilter):
    label = _("Stuck: failed, or claimed and not sent in time")


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(StuckMarkMixin, AddressLookupsMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Every digest delivered or attempted: the digests' own outbox, read-only."""

    list_filter = [StuckDeliveryFilter, "status", "run__frequency"]
    list_select_related = ["subscription"]
    date_hierarchy = "as_of"
    list_per_page = 100
    show_full_result_count = False

    def _shown(self, request) -> tuple[str, str]:
        """The subscriber and error columns this staff member may see."""
        if request.user.has_perm(EMAIL_PERMISSION):
            return "subscriber_email", "error"
        return "subscriber_masked", "redacted_error"

    def get_list_display(self, request):
        subscriber, error = self._shown(request)
        return ["period", subscriber, "status_shown", "claimed_at", "sent_at", "attempts", error]

    def get_fields(self, request, obj=None):
        subscriber, error = self._shown(request)
        return [
            "period", subscriber, "status", "as_of", "claimed_at", "sent_at", "attempts", error,
            "listing_ids",
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def _subscriber_link(self, subscription, shown: str):
        url = reverse("admin:opportunities_subscription_change", args=[subscription.pk])
        return format_html('<a href="{}">{}</a>', url, shown)

    @admin.display(description=_("subscriber"))
    def subscriber_email(self, delivery):
        return self._subscriber_link(delivery.subscription, delivery.subscription.email)

    @admin.display(description=_("subscriber"))
    def subscriber_masked(self, delivery):
        return self._subscriber_link(delivery.subscription, delivery.subscription.masked_email)

    @admin.display(description=_("error"))
    def redacted_error(self, delivery):
        return redact_addresses(delivery.error)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._warn_about_stuck(request)
        return super().changelist_view(request, extra_context)

    def _warn_about_stuck(self, request) -> None:
        minutes = settings.DIGEST_CATCH_UP_MINUTES
        stuck = DigestDelivery.objects.stuck().count()
        if stuck:
            messages.warning(
                request,
                ngettext(
                    "%(count)d digest is stuck (failed for a subscriber who still gets digests, "
                    "or claimed and not sent %(minutes)d minutes later): see “Stuck” under "
                    "“needs attention”.",
                    "%(count)d digests are stuck (failed for subscribers who still get digests, "
                    "or claimed and not sent %(minutes)d minutes later): see “Stuck” under "
                    "“needs attention”.",
                    stuck,
                )
                % {"count": stuck, "minutes": minutes},
            )
        for run, count in digests.current_runs_late():
            messages.warning(
                request,
                ngettext(
                    "%(count)d subscriber of %(period)s has no digest yet, %(minutes)d minutes "
                    "or more after the run started; beat's catch-up queues it again.",
                    "%(count)d subscribers of %(period)s have no digest yet, %(minutes)d "
                    "minutes or more after the run started; beat's catch-up queues them again.",
                    count,
                )
                % {"count": count, "period": run.period, "minutes": minutes},
            )


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = DigestDelivery
    fields = ["period", "status", "claimed_at", "sent_at", "attempts", "error", "listing_ids"]
    readonly_fields = [*fields, "redacted_error"]
    extra = 0
    max_num = 0
    ordering = ["-as_of"]
    verbose_name_plural = _("delivery log")

    def get_fields(self, request, obj=None):
        if request.user.has_perm(EMAIL_PERMISSION):
            return self.fields
        return [("redacted_error" if f == "error" else f) for f in self.fields]

    @admin.display(description=_("error"))
    def redacted_error(self, delivery):
        return redact_addresses(delivery.error)


@admin.register(Subscription)
class SubscriptionAdmin(AddressLookupsMixin, GuardedHistoryAdmin):
    # Preferences are the subscriber's own; staff see their history but do not roll it back.
    revert_allowed = False
    history_list_display = ["status"]
    list_filter = ["status", "frequency", "role", "language"]
    list_select_related = ["state"]
    readonly_fields = [
        "email",
        "masked_email",
        "status",
        "confirmed_at",
        "unsubscribed_at",
        "last_digest_at",
        "created_at",
    ]
    autocomplete_fields = ["state", "place"]
    filter_horizontal = ["topics", "bureaus"]
    inlines = [DeliveryInline]
    change_form_template = "admin/opportunities/subscription/change_form.html"
    show_full_result_count = False

    @admin.display(description=_("email address"))
    def masked_email(self, subscription):
        return subscription.masked_email

    def _address_field(self, request) -> str:
        return "email" if request.user.has_perm(EMAIL_PERMISSION) else "masked_email"

    def get_list_display(self, request):
        return [
            self._address_field(request),
            "status",
            "frequency",
            "role",
            "state",
            "confirmed_at",
        ]

    def get_search_fields(self, request):
        # Searching by address would tell who is subscribed.
        return ["email"] if request.user.has_perm(EMAIL_PERMISSION) else []

    def get_fields(self, request, obj=None):
        return [
            self._address_field(request),
            "status",
            "role",
            "language",
            "frequency",
            "state",
            "place",
            "topics",
            "bureaus",
            "kinds",
            "confirmed_at",
            "last_digest_at",
            "unsubscribed_at",
            "created_at",
        ]

    def has_add_permission(self, request):
        # Subscribers confirm their own address; staff never add one.
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="subscription_preview",
            ),
            path(
                "<int:pk>/preview.html",
                self.admin_site.admin_view(self.preview_html_view),
                name="subscription_preview_html",
            ),
            path(
                "<int:pk>/test-digest/",
                self.admin_site.admin_view(self.test_digest_view),
                name="subscription_test_digest",
            ),
            *super().get_urls(),
        ]

    def _subscription(self, request, pk) -> Subscription:
        subscription = get_object_or_404(Subscription, pk=pk)
        if not self.has_view_permission(request, subscription):
            raise PermissionDenied
        return subscription

    def preview_view(self, request, pk):
        subscription = self._subscription(request, pk)
        digest = digests.next_digest(subscription)
        message = digests.digest_message(digest, to="preview@localhost", inert_links=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "subscription": subscription,
            "digest": digest,
            "subject": message.subject,
            "text": message.body,
            "title": _("Next digest of subscription #%(id)s") % {"id": subscription.pk},
        }
        return TemplateResponse(request, "admin/opportunities/subscription/preview.html", context)

    # The email's own HTML, as a mail client shows it: its style attributes need this page's
    # policy to allow inline styles (it has no scripts, and only staff can open it).
    @csp_replace({"style-src": [SELF, "'unsafe-inline'"], "img-src": [SELF, "data:", "https:"]})
    def preview_html_view(self, request, pk):
        subscription = self._subscription(request, pk)
        message = digests.digest_message(
            digests.next_digest(subscription), to="preview@localhost", inert_links=True
        )
        return HttpResponse(message.alternatives[0][0])

    def test_digest_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subscription = self._subscription(request, pk)
        back = reverse("admin:opportunities_subscription_change", args=[pk])
        to = request.user.email
        if not to:
            messages.error(request, _("Add an email address to your staff account first."))
            return redirect(back)
        if digests.send_test_digest(subscription, to).is_empty:
            messages.warning(
                request,
                _("Sent to %(email)s, but the digest is empty: subscribers would get nothing now.")
                % {"email": to},
            )
        else:
            messages.success(request, _("Test digest sent to %(email)s.") % {"email": to})
        return redirect(back)

    @admin.action(
        description=_("Revoke the emailed manage and “Not interested” links"),
        permissions=["change"],
    )
    def revoke_emailed_links(self, request, queryset):
        count = 0
        for subscription in queryset:
            digests.revoke_links(subscription)
            count += 1
        messages.success(
            request,
            _("Links revoked for %(count)s subscriptions; their next email carries new ones.")
            % {"count": count},
        )

    actions = ["revoke_emailed_links"]
