"""History in the admin that cannot be used to get round the admin's own permissions.

django-simple-history's revert page checks permissions against the *old* version and then saves
that old version, workflow fields and all. Here a revert is an edit of the *current* object: it
needs the same change permission the change form needs, and it saves the posted form onto the
current object (so read-only and workflow fields such as a listing's status stay as they are).

The history page also reads tracked many-to-many links (a listing's topics) for the whole page
at once: simple_history's own diff queries them twice per version.
"""

from collections import defaultdict

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_history_model_for_model

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

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        m2m_fields = [f.name for f in get_history_model_for_model(self.model)._history_m2m_fields]
        links = {name: self._links_by_record(records, name) for name in m2m_fields}
        for newer, older in zip(records, records[1:], strict=False):
            delta = newer.diff_against(
                older, excluded_fields=m2m_fields, foreign_keys_are_objs=foreign_keys_are_objs
            )
            changes = list(delta.changes)
            for name in m2m_fields:
                before, after = links[name][older.history_id], links[name][newer.history_id]
                if before != after:
                    changes.append(ModelChange(name, before, after))
            changes.sort(key=lambda change: change.field)
            delta = ModelDelta(changes, [change.field for change in changes], older, newer)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)

    def _links_by_record(self, records, name: str) -> dict[int, list[dict]]:
        """The links of one many-to-many field for every record, in one query, shaped as
        simple_history's diff shapes them ({through field: related object})."""
        field = self.model._meta.get_field(name)
        link_history = getattr(get_history_model_for_model(self.model), name).model
        target = field.m2m_reverse_field_name()
        related = link_history._meta.get_field(target)
        links = defaultdict(list)
        rows = (
            link_history.objects.filter(history__in=[r.history_id for r in records])
            .select_related(target)
            .order_by(target)
        )
        for row in rows:
            value = getattr(row, target) or DeletedObject(
                related.related_model, getattr(row, related.attname)
            )
            links[row.history_id].append({target: value})
        return links
