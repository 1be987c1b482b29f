"""The portal's settings with the benchmarks' URLs (the one-query baseline view) added: what the
load and fault benchmarks run gunicorn with. Nothing else differs from production."""

from diplomacy.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
