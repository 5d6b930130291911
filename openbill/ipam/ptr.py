"""Writing a reverse name to the DNS server: the worker's part (``tasks.publish_ptr``).

actions.set_ptr and the address changes mark an address's reverse name *pending* and queue
this; the remote call holds no lock, and its result is recorded only if nobody asked for
another name meanwhile. A refusal is kept in plain words, in the client's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from openbill.core import dnsupdate

from .models import Address, AddressState, PtrState

PTR_MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour (as provisioning tasks)."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def publish(address_id: int, *, now: datetime) -> str:
    """Write the wanted reverse name to the DNS server (or remove it). The remote call holds no
    lock; the result is recorded only if nobody asked for another name meanwhile."""
    address = Address.objects.select_related("pool__dns_server", "service__client").filter(pk=address_id).first()
    if address is None or address.ptr_state != PtrState.PENDING:
        return "nothing to do"
    pool = address.pool
    server = pool.dns_server
    wanted_name = address.ptr_name if address.state == AddressState.ACTIVE else ""
    if server is None or not pool.reverse_zone:
        Address.objects.filter(pk=address.pk, ptr_state=PtrState.PENDING, ptr_name=address.ptr_name).update(
            ptr_state=PtrState.NONE if not wanted_name else PtrState.ERROR,
            ptr_published="",
            ptr_error="" if not wanted_name else _("No DNS server holds this address's reverse zone."),
        )
        return "no server"
    target = dnsupdate.Server(
        host=server.host,
        port=server.port,
        zone=pool.reverse_zone,
        key_name=server.tsig_key_name,
        secret=server.get_secret(),
        algorithm=server.tsig_algorithm,
    )
    mine = Q(pk=address.pk, ptr_state=PtrState.PENDING, ptr_name=address.ptr_name, state=address.state)
    try:
        dnsupdate.update(target, address.reverse_pointer, "PTR", replace=[wanted_name + "."] if wanted_name else [])
    except dnsupdate.DnsUpdateError as exc:
        attempts = address.ptr_attempts + 1
        if exc.retryable and attempts < PTR_MAX_ATTEMPTS:
            Address.objects.filter(mine).update(
                ptr_attempts=attempts, ptr_next_attempt_at=now + backoff(attempts), ptr_error=str(exc)[:2000]
            )
            return "retry"
        Address.objects.filter(mine).update(
            ptr_state=PtrState.ERROR,
            ptr_attempts=attempts,
            ptr_next_attempt_at=None,
            ptr_error=_plain_error(address, exc)[:2000],
        )
        return "error"
    Address.objects.filter(mine).update(
        ptr_state=PtrState.DONE if wanted_name else PtrState.NONE,
        ptr_published=wanted_name,
        ptr_error="",
        ptr_attempts=0,
        ptr_next_attempt_at=None,
    )
    return "done"


def _plain_error(address: Address, exc: dnsupdate.DnsUpdateError) -> str:
    """The refusal in plain words, in the client's language, with the server's own words after."""
    client = address.service.client if address.service is not None else None
    with translation.override(client.mail_language if client else settings.LANGUAGE_CODE):
        reasons = {
            "key": _("it does not accept Openbill's key (the provider must check the TSIG key)"),
            "name": _("the address is not in the reverse zone it holds"),
            "refused": _("it refused the change"),
            "unreachable": _("it did not answer"),
        }
        return (
            _("The DNS server refused the reverse name: %(reason)s.")
            % {"reason": reasons.get(exc.reason, _("it refused the change"))}
            + f" ({exc})"
        )
