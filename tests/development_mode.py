"""The test suite runs in development mode (pytest plugin, loaded before Django's settings).

Settings default to production; tests turn debug on explicitly and, when no development key is
at hand (no `make services` on this machine), sign with a random key of their own. Worker
processes the tests start inherit both through the environment.
"""

import os
import secrets

os.environ["DJANGO_DEBUG"] = "true"
if not os.environ.get("DJANGO_SECRET_KEY"):
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
