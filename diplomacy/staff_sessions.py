"""How long a staff session lasts, and a fresh two-factor code before permissions change.

A signed-in session ends after STAFF_SESSION_HOURS (a working day) however active, and after
STAFF_SESSION_IDLE_MINUTES without a request; staff are then signed out and, in the staff site,
sent to sign in again with a message saying why. Visitors who are not signed in keep their
sessions as they are.

With two-factor sign-in on, granting or changing permissions (a user's groups, permissions,
staff or superuser status; a group's permissions) needs a code entered in the last
STAFF_REVERIFY_MINUTES: otherwise nothing is saved and the code page asks for a new one, then
leads back to the form.
"""

from __future__ import annotations

import contextvars
import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN_AT = "staff_last_seen_at"
CODE_ENTERED_AT = "staff_code_entered_at"
# The last-seen time is written at most this often (seconds), not on every request.
LAST_SEEN_PRECISION = 60

_current_request: contextvars.ContextVar = contextvars.ContextVar("staff_request", default=None)


def _now() -> float:
    return time.time()


class RecentCodeRequired(Exception):
    """A permission change was tried without a recent two-factor code."""


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = now


def mark_code_entered(request) -> None:
    """Called when staff enter a correct two-factor code."""
    request.session[CODE_ENTERED_AT] = _now()


def _ended_because(session) -> str | None:
    now = _now()
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT, signed_in_at)
    if signed_in_at is None:  # a session from before these rules: its clock starts now
        session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now
        return None
    if now - signed_in_at > settings.STAFF_SESSION_HOURS * 3600:
        hours = settings.STAFF_SESSION_HOURS
        return ngettext(
            "For safety, staff sessions end after %(hours)d hour. Please sign in again.",
            "For safety, staff sessions end after %(hours)d hours. Please sign in again.",
            hours,
        ) % {"hours": hours}
    if now - last_seen_at > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        minutes = settings.STAFF_SESSION_IDLE_MINUTES
        return ngettext(
            "You were signed out after %(minutes)d minute without activity. Please sign in again.",
            "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
            minutes,
        ) % {"minutes": minutes}
    if now - last_seen_at >= LAST_SEEN_PRECISION:
        session[LAST_SEEN_AT] = now
    return None


def _in_staff_site(path: str) -> bool:
    staff_site = (reverse("admin:index"), reverse("staff:priorities").removesuffix("priorities/"))
    return path.startswith(staff_site) and path != reverse("admin:login")


class StaffSessionMiddleware:
    """Ends signed-in sessions past their lifetime; keeps the request at hand for the
    permission-change rule below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and (reason := _ended_because(request.session)):
            logout(request)
            if _in_staff_site(request.path):
                # Message middleware has not run yet: store the message with the redirect.
                storage = default_storage(request)
                storage.add(messages.INFO, reason)
                response = redirect_to_login(request.get_full_path(), reverse("admin:login"))
                storage.update(response)
                return response
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    def process_exception(self, request, exception):
        if not isinstance(exception, RecentCodeRequired):
            return None
        text = _("To change permissions, enter a new code from your authenticator app, then save.")
        messages.warning(request, text)
        return redirect(f"{reverse('two_factor')}?next={quote(request.get_full_path())}")


def _require_recent_code() -> None:
    request = _current_request.get()
    if request is None or not settings.STAFF_TWO_FACTOR:
        return  # management commands and the shell are not sessions
    entered_at = request.session.get(CODE_ENTERED_AT)
    if entered_at is None or _now() - entered_at > settings.STAFF_REVERIFY_MINUTES * 60:
        raise RecentCodeRequired


@receiver(pre_save, sender=User)
def _staff_status_change(sender, instance, **kwargs):
    if _current_request.get() is None:
        return
    before = User.objects.filter(pk=instance.pk).values("is_staff", "is_superuser").first()
    before = before or {"is_staff": False, "is_superuser": False}
    if (instance.is_staff, instance.is_superuser) != (before["is_staff"], before["is_superuser"]):
        _require_recent_code()


def _permission_change(sender, action, **kwargs):
    if action in ("pre_add", "pre_remove", "pre_clear"):
        _require_recent_code()


for _through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(_permission_change, sender=_through, dispatch_uid=f"recent-code-{_through}")
