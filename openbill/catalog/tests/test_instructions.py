"""The instruction-manual sandbox cannot be made to build a huge string (memory exhaustion)."""

from __future__ import annotations

import pytest

from openbill.catalog.instructions import MAX_OUTPUT, render_template

BROKEN = "The instruction manual could not be shown; please contact support."
VALUES = {"service": {"name": "web-1", "address": "203.0.113.5"}, "params": {"os": "debian"}}


@pytest.mark.parametrize(
    "source",
    [
        '{{ service.name|ljust:"5000000" }}',
        '{{ service.name|rjust:"5000000" }}',
        '{{ service.name|center:"5000000" }}',
        '{% filter ljust:"5000000" %}x{% endfilter %}',
        '{{ service.name|wordwrap:"1" }}',
    ],
)
def test_padding_filters_are_not_offered(source: str) -> None:
    assert render_template(source, VALUES) == BROKEN


def test_truncation_takes_a_capped_width_and_still_works() -> None:
    assert render_template('{{ service.address|truncatechars:"7" }}', VALUES) == "203.0.…"
    assert render_template('{{ service.name|truncatechars:"999999999999" }}', VALUES) == "web-1"
    assert render_template('{{ "a b c"|truncatewords:"2" }}', VALUES) == "a b …"
    assert render_template('{{ "a b c"|truncatewords:"99999999999" }}', VALUES) == "a b c"


def test_nested_loops_that_would_multiply_the_output_are_stopped() -> None:
    values = {"service": {"name": "x" * 100}}
    loop = "{% for a in service.name %}" * 6 + "y" + "{% endfor %}" * 6  # 100**6 bodies
    assert render_template(loop, values) == BROKEN


def test_a_manual_longer_than_the_cap_is_not_shown() -> None:
    values = {"service": {"name": "x" * 5000}}
    source = "{% for a in service.name %}{{ service.name }}{% endfor %}"  # 25 million characters
    assert render_template(source, values) == BROKEN
    assert len(render_template("{{ service.name }}", {"service": {"name": "x" * (MAX_OUTPUT - 1)}})) == MAX_OUTPUT - 1


def test_ordinary_manuals_with_loops_still_render() -> None:
    source = "Server {{ service.name }} at {{ service.address }}.{% for k, v in params.items %} {{ k }}={{ v }}{% empty %}none{% endfor %}{% for c in 'ab' %}[{{ forloop.counter }}{{ c|upper }}]{% endfor %}"
    assert render_template(source, VALUES) == "Server web-1 at 203.0.113.5. os=debian[1A][2B]"
