"""Every History kind the code writes is one the API's schema lists (EventKind): a kind missing
there would be served in a History row that breaks the ``ServiceEvent.kind`` enum."""

from __future__ import annotations

import ast
from pathlib import Path

import openbill
from openbill.services.choices import EventKind

ROOT = Path(openbill.__file__).parent


def _written_kinds() -> dict[str, str]:
    """Each literal kind passed to ``events.record`` / ``_change_reasons`` / ``ServiceEvent(...)``
    outside tests, with where it is written."""
    found: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            candidates: list[ast.expr] = [kw.value for kw in node.keywords if kw.arg == "kind"]
            if name == "record" and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "events":
                candidates += node.args[1:2]
            elif name not in ("_change_reasons", "ServiceEvent"):
                continue
            for value in candidates:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_history_kind_written_is_in_the_schema_enum():
    written = _written_kinds()

    assert len(written) >= 20  # the scan finds the calls
    unknown = {kind: where for kind, where in written.items() if kind not in EventKind.values}
    assert unknown == {}
