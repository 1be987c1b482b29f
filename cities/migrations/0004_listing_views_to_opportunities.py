# The view counts belong to the listings they count: the model moves to the opportunities app,
# which takes over the table (opportunities 0005); nothing changes in the database here.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0003_solutions_priorities_reach"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ListingViews")],
        ),
    ]
