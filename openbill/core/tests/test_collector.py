"""The web process (gunicorn openbill.wsgi) keeps the garbage collector out of its requests:
what the loaded application holds is frozen, and young collections are rarer (core.collector)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from openbill.core.collector import THRESHOLDS

pytestmark = pytest.mark.serial  # starts a process


def test_the_wsgi_process_freezes_the_loaded_application() -> None:
    probe = "import gc, openbill.wsgi; print(gc.get_freeze_count(), *gc.get_threshold())"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ.copy(), check=True
    )
    frozen, *thresholds = (int(n) for n in result.stdout.split())
    assert frozen > 10_000  # Django and the apps' modules, models and translations
    assert tuple(thresholds) == THRESHOLDS
