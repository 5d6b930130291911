"""The Goods/Services filter form's fields, written in Python as the list's rows are
(``service_rows``): each field's label and input, or its select with the options chosen, and its
error, escaped as the template language escapes them. Through the template language the form's
four fields cost as much as the rest of the page's content together.
"""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .row_actions import escape


def filter_fields_html(form: Any, choices: dict[str, list[tuple[Any, Any]]]) -> SafeString:
    """The form's fields but the sort order; a field named in ``choices`` is a select with those
    ``(value, text)`` options and "Any" first."""
    any_text = escape(_("Any"))
    parts = []
    for field in form:
        if field.name == "ordering":
            continue
        ident, name = escape(field.id_for_label), escape(field.html_name)
        errors = field.errors
        invalid = " is-invalid" if errors else ""
        described = f' aria-describedby="{ident}-error"' if errors else ""
        if field.name in choices:
            chosen = str(field.value())
            options = "".join(
                f'<option value="{escape(value)}"{" selected" if str(value) == chosen else ""}>{escape(text)}</option>'
                for value, text in choices[field.name]
            )
            control = (
                f'<select name="{name}" id="{ident}" class="form-select form-select-sm{invalid}"{described}>\n'
                f'        <option value="">{any_text}</option>\n'
                f"        {options}\n"
                "      </select>"
            )
        else:
            kind = "number" if field.name == "id" else "text"
            value = field.value()
            control = (
                f'<input type="{kind}" name="{name}" id="{ident}" value="{escape("" if value is None else value)}" '
                f'class="form-control form-control-sm{invalid}"{described}>'
            )
        error = (
            f'<div class="invalid-feedback" id="{ident}-error">{" ".join(escape(e) for e in errors)}</div>'
            if errors
            else ""
        )
        parts.append(
            '  <div class="col-6 col-md">\n'
            f'    <label class="form-label small mb-1" for="{ident}">{escape(field.label)}</label>\n'
            f"      {control}\n"
            f"    {error}\n"
            "  </div>\n"
        )
    return mark_safe("".join(parts))
