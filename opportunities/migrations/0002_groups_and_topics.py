"""Curation roles as permission groups, and the starting list of topics (staff can add more)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TOPICS = [
    ("Climate", "climate", True),
    ("Democracy and governance", "democracy-and-governance", True),
    ("Trade and investment", "trade-and-investment", False),
    ("Public health", "public-health", False),
    ("Public safety", "public-safety", False),
    ("Pollution and plastics", "pollution-and-plastics", False),
    ("Technology and digital access", "technology-and-digital-access", False),
    ("Economic security", "economic-security", False),
    ("Education and culture", "education-and-culture", False),
    ("Migration", "migration", False),
    ("Housing", "housing", False),
    ("Transportation", "transportation", False),
    ("Water and sanitation", "water-and-sanitation", False),
    ("Waste", "waste", False),
    ("Energy", "energy", False),
]

CURATOR = [
    "opportunities.view_listing", "opportunities.add_listing", "opportunities.change_listing",
    "opportunities.submit_listing", "opportunities.view_topic", "opportunities.view_historicallisting",
    "cities.view_state", "cities.change_state", "cities.view_place", "cities.change_place",
    "cities.view_country", "cities.view_bureau",
]  # fmt: skip
PUBLISHER = CURATOR + [
    "opportunities.publish_listing", "opportunities.add_topic", "opportunities.change_topic",
]  # fmt: skip
ADMINISTRATOR_APPS = ["opportunities", "cities", "auth"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return found

    Group.objects.get_or_create(name="Curator")[0].permissions.set(permissions(CURATOR))
    Group.objects.get_or_create(name="Publisher")[0].permissions.set(permissions(PUBLISHER))
    Group.objects.get_or_create(name="Administrator")[0].permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
    )
    Topic = apps.get_model("opportunities", "Topic")
    for name, slug, is_priority in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "is_priority": is_priority})


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Curator", "Publisher", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0001_initial"),
        ("cities", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
