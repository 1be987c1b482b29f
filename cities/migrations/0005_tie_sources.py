# Ties get the public source they were taken from, state ties a kind of their own, and the
# reference data set (cities/data/ties.csv) a key and checksum to tell its rows from staff edits.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0004_listing_views_to_opportunities"),
    ]

    operations = [
        migrations.AddField(
            model_name="sistercity",
            name="reference_checksum",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="sistercity",
            name="reference_key",
            field=models.CharField(
                blank=True, editable=False, max_length=300, null=True, unique=True
            ),
        ),
        migrations.AddField(
            model_name="sistercity",
            name="source_title",
            field=models.CharField(blank=True, max_length=300, verbose_name="source title"),
        ),
        migrations.AddField(
            model_name="sistercity",
            name="source_url",
            field=models.URLField(
                blank=True,
                help_text="A public page that records the tie.",
                max_length=500,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="sistercity",
            name="kind",
            field=models.CharField(
                choices=[
                    ("sister", "Sister city"),
                    ("partner", "Partner city"),
                    ("friendship", "Friendship city"),
                    ("sister_state", "Sister state or province"),
                ],
                default="sister",
                max_length=12,
                verbose_name="kind",
            ),
        ),
    ]
