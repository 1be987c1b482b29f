"""Every admin with a history page guards its reverts."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from lib.history_admin import GuardedHistoryAdmin


def test_every_history_admin_guards_its_reverts():
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
        and not isinstance(model_admin, GuardedHistoryAdmin)
    ]
    assert unguarded == []
