"""The Administrator group does what the README's recovery steps ask of it: delete a staff
member's lost authenticator (django-otp TOTP devices) and lift a sign-in lockout (django-axes
access attempts). Seeing and deleting is enough; nobody adds a device for someone else."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECOVERY = [
    ("otp_totp", "view_totpdevice"),
    ("otp_totp", "delete_totpdevice"),
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
]


def grant_recovery(apps, schema_editor):
    for app_label in {app_label for app_label, _codename in RECOVERY}:
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in RECOVERY
    ]
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.add(*permissions)


def revoke_recovery(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_label, codename in RECOVERY:
        for group in Group.objects.filter(name="Administrator"):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0007_history_everywhere"),
        ("otp_totp", "0003_add_timestamps"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(grant_recovery, revoke_recovery)]
