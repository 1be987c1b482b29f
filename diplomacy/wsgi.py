"""WSGI entry point for gunicorn (see Procfile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy.settings")

application = get_wsgi_application()

# Modules, settings and URL patterns live as long as the process: out of the garbage collector's
# full passes from now on (see diplomacy/gc_freeze.py, which freezes again after a warm-up).
from diplomacy.gc_freeze import freeze  # noqa: E402

freeze()
