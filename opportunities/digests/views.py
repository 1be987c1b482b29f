"""Public pages for email digests: subscribe, confirm, manage, unsubscribe, not interested.

No page needs an account: the emails carry signed, expiring links (opportunities.digests).
Nothing here ever tells a visitor whether an address is subscribed.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from opportunities import digests
from opportunities.digests.links import manage_token
from opportunities.forms import PreferencesForm, SubscribeForm
from opportunities.models import Listing, Status, SubscriptionStatus


def _address(group, request) -> str:
    return (request.POST.get("email") or "").strip().lower()[:254]


def _bad_link(request):
    return render(request, "subscriptions/bad_link.html", status=400)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=settings.SUBSCRIBE_RATE_PER_IP, method="POST", block=True)
@ratelimit(key=_address, rate=settings.SUBSCRIBE_RATE_PER_ADDRESS, method="POST", block=True)
def subscribe(request):
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_valid():
            preferences = form.preferences()
            preferences["email"] = form.cleaned_data["email"]
            digests.request_subscription(preferences, get_language())
            return redirect("subscriptions:check_email")
    else:
        form = SubscribeForm(initial=PreferencesForm.initial_from_search(request.GET))
    return render(request, "subscriptions/subscribe.html", {"form": form})


def check_email(request):
    return render(request, "subscriptions/check_email.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    try:
        subscription = digests.subscription_from_token(digests.CONFIRM, token)
    except digests.BadLink:
        return _bad_link(request)
    if subscription.status == SubscriptionStatus.UNSUBSCRIBED and subscription.confirmed_at:
        # A confirmation link from before the subscriber left does not bring them back.
        return _bad_link(request)
    if request.method == "POST":
        digests.confirm(subscription)
        return redirect("subscriptions:manage", manage_token(subscription))
    return render(request, "subscriptions/confirm.html")


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request, token):
    try:
        subscription = digests.subscription_from_token(digests.MANAGE, token)
    except digests.BadLink:
        return _bad_link(request)
    form = PreferencesForm(initial=PreferencesForm.initial_from(subscription))
    saved = False
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "save":
            form = PreferencesForm(request.POST)
            if form.is_valid():
                digests.save_preferences(subscription, form.preferences())
                saved = True
        elif action in ("pause", "resume"):
            digests.set_paused(subscription, action == "pause")
            saved = True
        elif action == "resubscribe":
            digests.confirm_again(subscription)
            return redirect("subscriptions:check_email")
        elif action == "unsubscribe":
            digests.unsubscribe(subscription.pk)
            return render(request, "subscriptions/unsubscribed.html")
        else:
            return render(
                request,
                "subscriptions/manage.html",
                {"form": form, "subscription": subscription, "unknown_action": True},
                status=400,
            )
        subscription.refresh_from_db()
    return render(
        request,
        "subscriptions/manage.html",
        {"form": form, "subscription": subscription, "saved": saved},
    )


# RFC 8058: mail providers POST here with no cookies and no CSRF token; a GET only asks.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        subscription_id = digests.UNSUBSCRIBE.read(token)[0]
    except digests.BadLink:
        return _bad_link(request)
    if request.method == "POST":
        digests.unsubscribe(subscription_id)
        return render(request, "subscriptions/unsubscribed.html")
    return render(request, "subscriptions/unsubscribe.html")


@never_cache
@require_http_methods(["GET", "POST"])
def not_interested(request, token):
    try:
        payload = digests.NOT_INTERESTED.read(token)
        subscription = digests.subscription_from_token(digests.NOT_INTERESTED, token)
    except digests.BadLink:
        return _bad_link(request)
    if len(payload) not in (2, 3):  # subscription, listing and (since links have one) version
        return _bad_link(request)
    listing = get_object_or_404(
        Listing, pk=payload[1], status__in=[Status.PUBLISHED, Status.ARCHIVED]
    )
    if request.method == "POST":
        digests.hide_listing(subscription, listing)
        return render(
            request, "subscriptions/not_interested.html", {"listing": listing, "done": True}
        )
    return render(request, "subscriptions/not_interested.html", {"listing": listing})
