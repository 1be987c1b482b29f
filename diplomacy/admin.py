"""Site-wide admin: staff accounts and sign-in throttling, beyond what the apps register."""

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    # django-axes offers its clean-up to anyone who can see the list; it deletes rows.
    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
