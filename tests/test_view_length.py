"""No view is longer than 25 lines: views parse input and present the result; the logic they need
lives in actions and selectors shared with the API.

A view is whatever the URL configuration routes to in the project's own code: a function view, or
each method of a class-based view or viewset (with those of the project's classes it inherits).
Its length runs from its ``def`` line to its last line, decorators aside.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 25

def _callbacks(patterns: list[Any]) -> Iterator[Callable[..., Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def _view_functions() -> dict[str, Any]:
    """``file:qualified name`` → function, for every view of the project's code."""
    found: dict[str, Any] = {}
    for callback in _callbacks(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is None:
            candidates = [callback]
        else:
            candidates = [v for klass in view_class.__mro__ for v in vars(klass).values() if inspect.isfunction(v)]
        for candidate in candidates:
            function = inspect.unwrap(candidate)
            code = getattr(function, "__code__", None)
            path = Path(code.co_filename).resolve() if code else None
            if path is not None and path.is_relative_to(ROOT / "openbill"):
                found[f"{path.relative_to(ROOT)}:{function.__qualname__}"] = function
    return found


@cache
def _definitions(path: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse((ROOT / path).read_text(), path)
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def view_lengths() -> dict[str, int]:
    lengths = {}
    for name, function in _view_functions().items():
        first = function.__code__.co_firstlineno  # the first decorator's line, or the def's
        path = name.split(":")[0]
        node = next(n for n in _definitions(path) if min(d.lineno for d in [*n.decorator_list, n]) == first)
        assert node.end_lineno is not None
        lengths[name] = node.end_lineno - node.lineno + 1
    return lengths


def test_the_project_routes_to_views_of_its_own() -> None:
    lengths = view_lengths()
    assert len(lengths) > 200
    assert "openbill/clientarea/views.py:service_detail" in lengths
    assert "openbill/services/api/views.py:ServiceViewSet.history" in lengths
    assert "openbill/api/urls.py:not_found" in lengths


def test_no_view_is_longer_than_25_lines() -> None:
    too_long = {name: lines for name, lines in view_lengths().items() if lines > MAX_LINES}
    assert too_long == {}

