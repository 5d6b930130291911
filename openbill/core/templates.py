"""Django's template backend, with a rendered page's context let go as soon as it is written.

A template context and its dictionaries point at each other (``ContextDict.context``), so once a
page is rendered its whole context — the page's rows, their services and add-on lines, the
paginator — is a reference cycle that only Python's cyclic collector frees: several hundred
objects a page, freed in collections of tens of milliseconds that land on one request in ten.
Emptying the context's stack of dictionaries once the template has been written breaks the
cycle, and the page's objects are freed as the view returns, like any other.
"""

from __future__ import annotations

from typing import Any

from django.template import TemplateDoesNotExist
from django.template.backends import django as backend
from django.template.context import make_context


class Template(backend.Template):
    def render(self, context: Any = None, request: Any = None) -> Any:
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            output = self.template.render(context)
        except TemplateDoesNotExist as exc:
            backend.reraise(exc, self.backend)
        # Once written, not before: a template's error still shows its context where debugging does.
        context.dicts.clear()
        return output


class DjangoTemplates(backend.DjangoTemplates):
    """``DjangoTemplates`` whose templates are ``Template`` above."""

    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            backend.reraise(exc, self)
