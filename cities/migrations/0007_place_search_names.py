from django.db import migrations, models

from lib.text import fold


def fill_search_names(apps, schema_editor):
    Place = apps.get_model("cities", "Place")
    places = list(Place.objects.only("id", "name"))
    for place in places:
        place.search_names = f"|{fold(place.name)}|"
    Place.objects.bulk_update(places, ["search_names"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("cities", "0006_place_parts_and_history")]

    operations = [
        migrations.AddField(
            model_name="place",
            name="search_names",
            field=models.TextField(blank=True, editable=False, verbose_name="names to find it by"),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
    ]
