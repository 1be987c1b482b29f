"""History in the admin that cannot be used to get round the admin's own permissions.

django-simple-history's revert page checks permissions against the *old* version and then saves
that old version, workflow fields and all. Here a revert is an edit of the *current* object: it
needs the same change permission the change form needs, and it saves the posted form onto the
current object (so read-only and workflow fields such as a listing's status stay as they are).
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

SAVE_BUTTONS = ("_save", "_continue", "_change_history")


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    # False for records that belong to the public (answers, subscriptions): nobody reverts them.
    revert_allowed = True

    def may_revert(self, request, current) -> bool:
        return (
            self.revert_allowed
            and current is not None
            and self.has_change_permission(request, current)
        )

    def revert_disabled(self, request, obj=None):
        current = self.get_object(request, str(obj.pk)) if obj is not None else None
        return super().revert_disabled(request, obj) or not self.may_revert(request, current)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        saving = request.method not in ("GET", "HEAD") or any(
            name in request.GET for name in SAVE_BUTTONS
        )
        if not saving:
            return super().history_form_view(request, object_id, version_id, extra_context)
        if not self.may_revert(request, self.get_object(request, unquote(object_id))):
            raise PermissionDenied
        if request.method != "POST":
            raise PermissionDenied
        # The posted form holds the old version's values; the change view saves them onto the
        # current object with every check it makes for an ordinary edit.
        return self.changeform_view(request, object_id, extra_context=extra_context)
