"""The two public forms' shared pattern: submit → "check your email" → confirm by signed link.

Local solutions and priorities both take a form from someone without an account, keep it unseen
until its sender opens the signed link we email, and show it again through the same link.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django_ratelimit.decorators import ratelimit

from lib.client_ip import client_ip
from lib.signed_links import BadLink


def public_form_rate(group, request) -> str:
    """Submissions allowed per address and per email (PUBLIC_FORM_RATE), read at request time."""
    return settings.PUBLIC_FORM_RATE


def rate_limited_form(email_field: str):
    """At most PUBLIC_FORM_RATE posts per client address and per email address given."""

    def email_key(group, request) -> str:
        # Posts without an address count against the client's address instead.
        email = request.POST.get(email_field, "").strip().lower()
        return f"email:{email}" if email else f"ip:{client_ip(request)}"

    def decorate(view):
        view = ratelimit(key=email_key, rate=public_form_rate, method="POST")(view)
        return ratelimit(key="ip", rate=public_form_rate, method="POST")(view)

    return decorate


def submission_page(request, form_class, save: Callable[[dict], object], *, template, sent):
    """The form; a valid post is saved (the service emails the link) and goes to `sent`."""
    # A place page's invitation names the place: ?state=ID&place_name=Boise fills it in (and
    # a state page's ?answer_for=state, the whole state, on the priorities form).
    fields = ("state", "place_name", "answer_for")
    initial = {k: request.GET[k][:200] for k in fields if k in request.GET}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        save(form.cleaned_data)
        return redirect(sent)
    status = 400 if form.is_bound else 200
    return render(request, template, {"form": form}, status=status)


def confirmation_page(
    request,
    token: str,
    *,
    find: Callable[[str], object],
    confirm: Callable[[object], bool],
    confirmed_message: str,
    template: str,
    bad_link_template: str,
    context: Callable[[object], dict],
):
    """What a signed link shows; a POST confirms (once: repeating it changes nothing)."""
    try:
        submission = find(token)
    except BadLink:
        return render(request, bad_link_template, status=400)
    if request.method == "POST":
        if confirm(submission):
            messages.success(request, confirmed_message)
        return redirect(request.path)
    return render(request, template, context(submission))
