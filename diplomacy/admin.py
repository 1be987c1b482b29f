"""Site-wide admin: staff accounts and sign-in throttling, beyond what the apps register.

Staff who are not superusers manage accounts without raising anyone's rights, their own
included: they cannot set `is_superuser`, touch a superuser's account, change their own groups
or permissions, or hand out a permission (directly or through a group) they do not hold.
"""

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def grantable_permissions(user: User):
    """The permissions this staff member may give others: those they hold."""
    if user.is_superuser:
        return Permission.objects.all()
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def grantable_groups(user: User):
    """The groups this staff member may put people in: none with a permission they lack."""
    if user.is_superuser:
        return Group.objects.all()
    lacking = Permission.objects.exclude(pk__in=grantable_permissions(user).values("pk"))
    return Group.objects.exclude(permissions__in=lacking)


class KeepsWhatTheEditorCannotGrant:
    """Choices limited to what the editor may grant would silently drop the rest on save: keep
    what the record had outside the editor's reach."""

    limited_fields: dict = {}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.limited_fields:
            kwargs["queryset"] = self.limited_fields[db_field.name](request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        kept = {}
        if change:
            for name, grantable in self.limited_fields.items():
                reach = grantable(request.user).values("pk")
                kept[name] = list(getattr(form.instance, name).exclude(pk__in=reach))
        super().save_related(request, form, formsets, change)
        for name, objects in kept.items():
            getattr(form.instance, name).add(*objects)


class UserAdmin(KeepsWhatTheEditorCannotGrant, BaseUserAdmin):
    limited_fields = {"groups": grantable_groups, "user_permissions": grantable_permissions}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
            if obj is not None and obj.pk == request.user.pk:
                fields += ["groups", "user_permissions"]
        return fields

    def _guards_a_superuser(self, request, obj) -> bool:
        return obj is not None and obj.is_superuser and not request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # Also guards the password form: a superuser's password is theirs to change.
        if self._guards_a_superuser(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._guards_a_superuser(request, obj):
            return False
        return super().has_delete_permission(request, obj)


class GroupAdmin(KeepsWhatTheEditorCannotGrant, BaseGroupAdmin):
    limited_fields = {"permissions": grantable_permissions}


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    # django-axes offers its clean-up to anyone who can see the list; it deletes rows.
    @admin.action(description=_("Clean up expired attempts"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        super().cleanup_expired_attempts(request, queryset)


for model, model_admin in [
    (User, UserAdmin),
    (Group, GroupAdmin),
    (AccessAttempt, AccessAttemptAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
