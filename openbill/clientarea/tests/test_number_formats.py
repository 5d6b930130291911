"""Money and quantities read in the page's language, and only in it: no page shows "12.00 USD"
beside "12,00 USD". Crawled over the demo (every client page, every service's pages) as an
English and as a Spanish reader."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from openbill.accounts.models import User
from openbill.core import demo
from openbill.services.models import Service

pytestmark = pytest.mark.django_db

AMOUNT = re.compile(r"(?<![\d.,])-?\d+([.,])\d{2,3} [A-Z]{3}\b")
# The separator each language writes before the cents.
DECIMAL_MARK = {"en": ".", "es": ","}
PAGES = ["/", "/services/", "/finances/", "/finances/payments/", "/finances/topup/", "/orders/", "/cart/", "/order/"]
SERVICE_PAGES = ["", "history/", "extend/", "edit/", "delete/", "statistics/", "overage/", "ips/", "instructions/"]


def text_of(html: str) -> str:
    """What a reader sees: tags dropped (attribute values are for machines)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_page_mixes_the_number_formats_of_two_languages(language: str) -> None:
    demo.load()
    seen, wrong = 0, {}
    for user in User.objects.filter(email__in=["alice@demo.test", "bob@demo.test"]):
        user.language = language
        user.save(update_fields=["language"])
        http = HttpClient()
        http.force_login(user)
        services = Service.objects.filter(client__memberships__user=user).values_list("pk", flat=True)
        for url in PAGES + [f"/services/{pk}/{tail}" for pk in services for tail in SERVICE_PAGES]:
            response = http.get(url)
            if response.status_code != 200:
                continue
            amounts = AMOUNT.finditer(text_of(response.content.decode()))
            marks = {(match.group(0), match.group(1)) for match in amounts}
            seen += len(marks)
            if bad := sorted(text for text, mark in marks if mark != DECIMAL_MARK[language]):
                wrong[f"{user.email} {url}"] = bad

    assert wrong == {}
    assert seen > 20  # the crawl did read amounts
