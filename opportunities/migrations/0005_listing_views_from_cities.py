# The view counts moved from the cities app to the listings they count (no data changes).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0004_listing_views_to_opportunities"),
        ("opportunities", "0004_api_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ListingViews",
                    fields=[
                        (
                            "listing",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="view_count",
                                serialize=False,
                                to="opportunities.listing",
                                verbose_name="listing",
                            ),
                        ),
                        ("views", models.PositiveBigIntegerField(default=0, verbose_name="views")),
                        ("updated_at", models.DateTimeField(verbose_name="updated")),
                    ],
                    options={
                        "verbose_name": "listing views",
                        "verbose_name_plural": "listing views",
                        "indexes": [models.Index(fields=["-views"], name="listing_views_most")],
                        "db_table": "cities_listingviews",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="listingviews", table=None),
    ]
