"""The VIES check of a billing profile's VAT number (run by ``tasks.check_vat_number_task``):
ask the service with no transaction open, then keep its answer as proof."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from . import vies
from .models import BillingProfile, VatStatus
from .tax import EU_COUNTRIES

log = logging.getLogger(__name__)


def record_vies_answer(profile_id: int, answer: Any, *, now: datetime) -> BillingProfile:
    """Keep VIES's answer as proof. ``answer`` None: VIES could not be asked; the number stays
    (or becomes) "not yet verified" — never valid by default."""
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().get(pk=profile_id)
        if answer is None:
            if profile.vat_status != VatStatus.UNVERIFIED:
                profile.vat_status = VatStatus.UNVERIFIED
                profile.save(update_fields=["vat_status"])
            return profile
        if answer.vat_number != profile.vat_number:
            return profile  # the number changed while VIES was asked: its own check follows
        profile.vat_status = VatStatus.VALID if answer.valid else VatStatus.INVALID
        profile.vat_checked_at = now
        profile.vat_consultation = answer.consultation[:80]
        profile.vat_answer = answer.raw
        profile.save(update_fields=["vat_status", "vat_checked_at", "vat_consultation", "vat_answer"])
        return profile


def check_vat_number(profile_id: int, *, now: datetime) -> str:
    """Ask VIES about the profile's number (no transaction open during the call)."""
    profile = BillingProfile.objects.select_related("client__provider__seller").get(pk=profile_id)
    if not profile.vat_number or profile.country not in EU_COUNTRIES:
        return "nothing to check"
    seller = getattr(profile.client.provider, "seller", None)
    try:
        answer = vies.check(profile.vat_number, requester=seller.tax_id if seller else "")
    except vies.Unreachable as exc:
        log.warning("VIES unreachable for profile %s: %s", profile_id, exc)
        record_vies_answer(profile_id, None, now=now)
        return "unreachable"
    return str(record_vies_answer(profile_id, answer, now=now).vat_status)
