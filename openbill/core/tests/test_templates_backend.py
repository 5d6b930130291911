"""A rendered page's context is freed when the page is written (core.templates), not left for
Python's cyclic collector: in a web process that collector's pauses landed on one request in ten."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from django.template import engines
from django.template.backends.django import DjangoTemplates as DjangosOwn
from django.test import RequestFactory


class Row:
    name = "row"


def rendered_and_alive(engine: Any) -> tuple[str, bool]:
    """Render a template whose context holds a row, with the cyclic collector off; whether the row
    is still alive once the output is all that is kept."""
    row = Row()
    alive = weakref.ref(row)
    template = engine.from_string("{% for r in rows %}{{ r.name }}{% endfor %}")
    output = template.render({"rows": [row]}, RequestFactory().get("/services/"))
    del row, template
    return output, alive() is not None


@pytest.mark.parametrize("alias", ["django", "text"])
def test_the_context_is_freed_when_the_page_is_written(alias: str) -> None:
    engine = engines[alias]
    enabled = gc.isenabled()
    gc.disable()
    try:
        output, alive = rendered_and_alive(engine)
        # The control: Django's own backend leaves the same context in a reference cycle.
        own = DjangosOwn(
            {
                "NAME": "own",
                "DIRS": [],
                "APP_DIRS": False,
                "OPTIONS": {"autoescape": engine.engine.autoescape},  # type: ignore[attr-defined]
            }
        )
        own_output, own_alive = rendered_and_alive(own)
    finally:
        if enabled:
            gc.enable()
    assert output == own_output == "row"
    assert not alive
    assert own_alive
