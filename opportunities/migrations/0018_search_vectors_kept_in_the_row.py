"""Keep the search vectors in the listing's row (compressed), moving the long texts out instead.

With the default storage, PostgreSQL moved a quarter of the English vectors and nearly all the
Spanish ones to the TOAST table, so a search that checks the newest listings one by one fetched
each vector from there. With MAIN storage the texts the search page never reads (bodies) go
there first. Rows written before this keep their layout until they are next written;
`VACUUM FULL opportunities_listing` rewrites them all at once (it locks the table meanwhile).
"""

from django.db import migrations

COLUMNS = ("search_vector", "search_vector_es")


def storage(kind: str) -> str:
    columns = ", ".join(f"ALTER COLUMN {column} SET STORAGE {kind}" for column in COLUMNS)
    return f"ALTER TABLE opportunities_listing {columns}"


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0017_topic_names_in_spanish")]

    operations = [migrations.RunSQL(storage("MAIN"), reverse_sql=storage("EXTENDED"))]
