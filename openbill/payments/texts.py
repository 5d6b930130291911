"""The payments app's stored texts (see openbill.core.texts)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

from . import gateways


def method_label(code: Any) -> str:
    try:
        return str(gateways.get(str(code)).label)
    except KeyError:
        return str(code)


def _method_codes() -> list[str]:
    return list(gateways.REGISTRY)


method_label.codes = _method_codes  # type: ignore[attr-defined]

register(
    Template("payment", _("Payment #%(id)s (%(method)s)"), labels={"method": method_label}),
    Template("top_up", _("Payment (%(method)s)"), labels={"method": method_label}),
    Template("payment_refund", _("Refund of payment #%(id)s: %(reason)s")),
    Template("payment_refund_failed", _("Refund of payment #%(id)s failed; amount restored")),
    Template("correction", _("Correction: %(reason)s")),
)
