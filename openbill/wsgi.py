"""WSGI entry point (gunicorn openbill.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from openbill.core.collector import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openbill.settings")
application = get_wsgi_application()
settle()  # the loaded application out of the garbage collector's way (core/collector.py)
