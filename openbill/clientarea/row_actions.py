"""The actions of one row of Goods/Services, declared in one place for every feature: one
menu per row (a badge, and the step a service waits for, stay beside it).

The list asks ``row_actions(service)`` for a list of ``RowAction`` built in Python, with URLs
formatted from prefixes reversed once per request (``ServiceUrls``), not one ``{% url %}`` per
link per row through nested template includes.

A feature adding a row action adds it to ``RowActions.__call__`` below, with the same rule the
service's detail page uses for its button.
"""

from __future__ import annotations

from datetime import datetime
from html import escape as _escape
from typing import NamedTuple

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openbill.catalog.models import DeletionWho
from openbill.core.formats import format_day
from openbill.core.timeutil import Period
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.rules import Action, allowed_actions

# A service id that appears nowhere else in a URL: reverse once with it, then format each row's.
_MARK = 987654321


DETAILS = gettext_lazy("Details")
HISTORY = gettext_lazy("History")
STATISTICS = gettext_lazy("Statistics")
EDIT = gettext_lazy("Edit")
EXTEND = gettext_lazy("Extend")
CONFIGURE = gettext_lazy("Configure")
INSTRUCTION = gettext_lazy("Instruction")
DELETE = gettext_lazy("Delete")
SCHEDULED_FOR_DELETION = gettext_lazy("Scheduled for deletion")
ASK = gettext_lazy("Ask a question")
SUSPEND = gettext_lazy("Suspend")
REBOOT = gettext_lazy("Reboot")
MENU = gettext_lazy("Actions")
# By plain keys: a lazy string's hash would translate it at each lookup.
LABELS = {
    "details": DETAILS,
    "history": HISTORY,
    "statistics": STATISTICS,
    "edit": EDIT,
    "extend": EXTEND,
    "configure": CONFIGURE,
    "instruction": INSTRUCTION,
    "delete": DELETE,
    "scheduled_for_deletion": SCHEDULED_FOR_DELETION,
    "ask": ASK,
    "suspend": SUSPEND,
    "reboot": REBOOT,
}


class RowAction(NamedTuple):
    """A link (``url``) or, without one, a badge; ``style`` is its Bootstrap colour class.

    A link styled ``btn-warning`` is the step the service waits for (Configure): it stays in
    sight beside the menu. Every other link is an item of the row's menu. (A named tuple: a list
    page makes about 150 of these, and a tuple is made several times faster than a frozen
    dataclass.)
    """

    label: str | Promise
    url: str = ""
    style: str = "btn-outline-secondary"
    title: str | Promise = ""

    @property
    def in_menu(self) -> bool:
        return bool(self.url) and self.style != "btn-warning"

    def __html__(self) -> SafeString:
        # Plain escaping rather than format_html: the list renders several of these per row.
        label, url = escape(self.label), escape(self.url)
        if self.in_menu:
            danger = " text-danger" if "danger" in self.style else ""
            return mark_safe(f'<li><a class="dropdown-item{danger}" href="{url}">{label}</a></li>')
        style = escape(self.style)
        if self.url:
            return mark_safe(f'<a class="btn btn-sm {style}" href="{url}">{label}</a>')
        if self.title:
            return mark_safe(f'<span class="badge {style}" title="{escape(self.title)}">{label}</span>')
        return mark_safe(f'<span class="badge {style}">{label}</span>')


def escape(text: object) -> str:
    """What django.utils.html.escape writes, without its check for lazy text (called per link)."""
    return _escape(str(text))


def actions_html(actions: list[RowAction], menu_label: str | None = None) -> SafeString:
    """A row's badges and waiting step, then its menu of links (a dropdown that is not clipped
    by the scrolling table); ``menu_label``: the menu button's label, escaped, when a list has it."""
    beside = "\n".join(action.__html__() for action in actions if not action.in_menu)
    items = "\n".join(action.__html__() for action in actions if action.in_menu)
    if not items:
        return mark_safe(beside)
    menu = (
        '<div class="dropdown">'
        '<button type="button" class="btn btn-sm btn-outline-secondary dropdown-toggle" data-bs-toggle="dropdown"'
        f' data-bs-popper-config=\'{{"strategy": "fixed"}}\' aria-expanded="false">{menu_label or escape(MENU)}</button>'
        f'<ul class="dropdown-menu dropdown-menu-end">{items}</ul></div>'
    )
    return mark_safe(beside + menu)


class ServiceUrl:
    """``pk -> URL`` of a client-area page that takes a service id, reversed once.

    ``bool(url)`` is False when no such page is installed, so its action is left out.
    """

    def __init__(self, name: str) -> None:
        try:
            head, _sep, tail = reverse(name, kwargs={"pk": _MARK}).partition(str(_MARK))
        except NoReverseMatch:
            head = tail = ""
            self.exists = False
        else:
            self.exists = True
        self.head, self.tail = head, tail

    def __bool__(self) -> bool:
        return self.exists

    def __call__(self, pk: int) -> str:
        return f"{self.head}{pk}{self.tail}"


def _optional(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


class RowActions:
    """Build once per request (the URL prefixes follow the active language), call per row."""

    def __init__(self) -> None:
        self.detail = ServiceUrl("clientarea:service")
        self.history = ServiceUrl("clientarea:service_history")
        self.statistics = ServiceUrl("clientarea:service_statistics")
        self.edit = ServiceUrl("clientarea:service_edit")
        self.extend = ServiceUrl("clientarea:service_extend")
        self.configure = ServiceUrl("clientarea:service_configure")
        self.instructions = ServiceUrl("clientarea:service_instructions")
        self.delete = ServiceUrl("clientarea:service_delete")
        self.suspend = ServiceUrl("clientarea:service_suspend")
        self.reboot = ServiceUrl("clientarea:service_reboot")
        self.topup = _optional("clientarea:topup")
        self.ask = _optional("clientarea:support_new")
        self.now = timezone.now()
        # Each label translated once per request, not once per row.
        self.text = {key: str(label) for key, label in LABELS.items()}
        self.menu = escape(MENU)

    def __call__(self, service: Service) -> list[RowAction]:
        """The row's links: what ``services.rules.allowed_actions`` allows, where the client's
        policy lets it (a product type staff alone may delete has no Delete)."""
        pk, text = service.pk, self.text
        allowed = allowed_actions(service, self.now)
        product_type = service.product_type
        actions = [RowAction(text["details"], self.detail(pk)), RowAction(text["history"], self.history(pk))]
        # Metering: usage by day for the kinds that report it.
        if Action.STATISTICS in allowed and self.statistics:
            actions.append(RowAction(text["statistics"], self.statistics(pk)))
        # Orders: change the configuration, pay the next period (a daily-priced service is
        # paid from the balance: its Extend tops the balance up), finish a configuration.
        if Action.EDIT in allowed and self.edit:
            actions.append(RowAction(text["edit"], self.edit(pk)))
        if Action.EXTEND in allowed:
            extend = self.topup if service.period == Period.DAY else (self.extend(pk) if self.extend else "")
            if extend:
                actions.append(RowAction(text["extend"], extend))
        if Action.CONFIGURE in allowed and service.status == Status.CONFIGURATION_REQUIRED and self.configure:
            actions.append(RowAction(text["configure"], self.configure(pk), style="btn-warning"))
        if Action.INSTRUCTIONS in allowed and self.instructions:
            actions.append(RowAction(text["instruction"], self.instructions(pk)))
        # Lifecycle: suspend and reboot (each asks for confirmation first), a deletion asked for
        # shows its date; otherwise Delete where the client may.
        if (
            Action.SUSPEND in allowed
            and product_type.client_can_suspend
            and not service.suspended_by_client
            and self.suspend
        ):
            actions.append(RowAction(text["suspend"], self.suspend(pk), style="btn-outline-warning"))
        if Action.REBOOT in allowed and self.reboot:
            actions.append(RowAction(text["reboot"], self.reboot(pk)))
        if service.delete_at and service.status != Status.DELETED:
            actions.append(
                RowAction(
                    _("Deleted on %(date)s") % {"date": _local_day(service.delete_at)},
                    style="text-bg-danger",
                    title=text["scheduled_for_deletion"],
                )
            )
        elif Action.DELETE in allowed and product_type.deletion_who == DeletionWho.CLIENT_AND_STAFF and self.delete:
            actions.append(RowAction(text["delete"], self.delete(pk), style="btn-outline-danger"))
        # Support: a question about this service (its page has the same button).
        if self.ask and Action.ASK in allowed:
            actions.append(RowAction(text["ask"], f"{self.ask}?service={pk}"))
        return actions


def _local_day(moment: datetime) -> str:
    """As the template's ``|day`` shows it: in the current time zone, the reader's format."""
    return format_day(moment)
