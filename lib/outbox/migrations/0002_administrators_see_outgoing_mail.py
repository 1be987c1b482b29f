"""The Administrator group sees outgoing mail and retries failed mail; no other group does
(messages carry signed links meant for their recipients)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_outgoingmail", "retry_outgoingmail"]


def grant_administrators(apps, schema_editor=None):
    app_config = apps.get_app_config("outbox")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True  # permissions are normally created after all migrations
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="outbox", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="outbox", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_outgoing_mail"),
        ("opportunities", "0002_groups_and_topics"),
    ]
    operations = [migrations.RunPython(grant_administrators, revoke)]
