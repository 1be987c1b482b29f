"""Staff sign-in: how wrong passwords pause it, what the sign-in page says, password reset.

Wrong passwords are counted three ways, each against its own limit within the cool-off time
(django-axes, AXES_LOCKOUT_PARAMETERS): one user name from one address (AXES_FAILURE_LIMIT),
one address across user names (LOGIN_FAILURE_LIMIT_PER_ADDRESS: someone trying many accounts)
and one user name across addresses (LOGIN_FAILURE_LIMIT_PER_USERNAME: a guess spread over many
machines). Reaching any one pauses sign-in. The sign-in page says how many tries are left and
how long a pause lasts, for known and unknown user names alike.

Staff who forgot their password get a reset link by email (Django's views, our email
templates, links to SITE_URL); the form answers the same whatever address is given, sends mail
only to active staff accounts and is rate-limited per client address and per email address.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.utils import reset as reset_sign_in_pauses
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.decorators import ratelimit

from lib.mail import absolute_url, send_email


def _limits() -> dict[tuple[str, ...], int]:
    """The limit of each way of counting, keyed like AXES_LOCKOUT_PARAMETERS' entries."""
    return {
        ("username", "ip_address"): settings.AXES_FAILURE_LIMIT,
        ("ip_address",): settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
        ("username",): settings.LOGIN_FAILURE_LIMIT_PER_USERNAME,
    }


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a limit of its own for each lockout parameter."""

    def tries_left(self, request, credentials: dict | None = None) -> int:
        limits = _limits()
        left = []
        parameters = settings.AXES_LOCKOUT_PARAMETERS
        attempts_list = self.get_user_attempts(request, credentials)
        for parameter, attempts in zip(parameters, attempts_list, strict=True):
            key = (parameter,) if isinstance(parameter, str) else tuple(parameter)
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            left.append(limits[key] - failures)
        return max(min(left), 0)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # Counted against AXES_FAILURE_LIMIT, which axes compares with: it is reached as soon
        # as any one way of counting reaches its own limit.
        return settings.AXES_FAILURE_LIMIT - self.tries_left(request, credentials)


def pause_minutes(request=None) -> int:
    return max(int(get_cool_off(request).total_seconds() // 60), 1)


class StaffSignInForm(AdminAuthenticationForm):
    """The admin's sign-in form, saying after a wrong password how many tries are left."""

    def get_invalid_login_error(self):
        error = super().get_invalid_login_error()
        failures = getattr(self.request, "axes_failures_since_start", None)
        if failures is None:
            return error
        left = max(settings.AXES_FAILURE_LIMIT - failures, 0)
        minutes = pause_minutes(self.request)
        warning = ngettext(
            "%(left)d more wrong password and sign-in pauses for %(minutes)d minutes.",
            "%(left)d more wrong passwords and sign-in pauses for %(minutes)d minutes.",
            left,
        ) % {"left": left, "minutes": minutes}
        return ValidationError([error, ValidationError(warning, code="tries_left")])


def lockout_response(request, original_response=None, credentials=None):
    """The page shown while sign-in is paused (AXES_LOCKOUT_CALLABLE)."""
    return render(
        request,
        "account_locked.html",
        {"minutes": pause_minutes(request), "reset_url": reverse("admin_password_reset")},
        status=429,
    )


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form, for active staff accounts only, sending the portal's own email."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if user.is_staff)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        link = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        send_email(
            "password_reset",
            {
                "user_name": context["user"].get_username(),
                "reset_url": absolute_url(link),
                "hours": max(settings.PASSWORD_RESET_TIMEOUT // 3600, 1),
            },
            [to_email],
            subject=_("Reset your staff password"),
        )


def password_reset_rate(group, request) -> str:
    return settings.PASSWORD_RESET_RATE


def _email_key(group, request) -> str:
    return "email:" + request.POST.get("email", "").strip().lower()


class _AdminPage:
    """The admin's header and titles on the password pages (they use the admin's templates)."""

    def get_context_data(self, **kwargs):
        site = admin.site
        names = {"site_header": site.site_header, "site_title": site.site_title}
        return {**names, "site_url": site.site_url, **super().get_context_data(**kwargs)}


@method_decorator(
    [
        ratelimit(key="ip", rate=password_reset_rate, method="POST"),
        ratelimit(key=_email_key, rate=password_reset_rate, method="POST"),
    ],
    name="dispatch",
)
class PasswordResetView(_AdminPage, auth_views.PasswordResetView):
    form_class = StaffPasswordResetForm


class PasswordResetDoneView(_AdminPage, auth_views.PasswordResetDoneView):
    pass


class PasswordResetConfirmView(_AdminPage, auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever set a new password through the emailed link may sign in with it at once.
        reset_sign_in_pauses(username=form.user.get_username())
        return response


class PasswordResetCompleteView(_AdminPage, auth_views.PasswordResetCompleteView):
    pass
