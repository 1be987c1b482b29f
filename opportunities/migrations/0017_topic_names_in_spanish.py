"""The starting topics' Spanish names (staff may change them in the admin; a name already given
is kept)."""

from django.db import migrations

TOPICS_ES = {
    "climate": "Clima",
    "democracy-and-governance": "Democracia y gobernanza",
    "trade-and-investment": "Comercio e inversión",
    "public-health": "Salud pública",
    "public-safety": "Seguridad pública",
    "pollution-and-plastics": "Contaminación y plásticos",
    "technology-and-digital-access": "Tecnología y acceso digital",
    "economic-security": "Seguridad económica",
    "education-and-culture": "Educación y cultura",
    "migration": "Migración",
    "housing": "Vivienda",
    "transportation": "Transporte",
    "water-and-sanitation": "Agua y saneamiento",
    "waste": "Residuos",
    "energy": "Energía",
}


def name_topics_in_spanish(apps, schema_editor):
    Topic = apps.get_model("opportunities", "Topic")
    for topic in Topic.objects.filter(slug__in=TOPICS_ES):
        if not topic.name_es:
            topic.name_es = TOPICS_ES[topic.slug]
            topic.save(update_fields=["name_es"])


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0016_listings_and_topics_in_spanish")]
    operations = [migrations.RunPython(name_topics_in_spanish, migrations.RunPython.noop)]
