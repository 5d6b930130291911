"""Every client-area page, as the demo's Alice sees it, in English and in Spanish, on a desktop
(1280 px) and on a phone (390 px).

A crawler starts at the dashboard and follows every link of the client area (every page of each
demo service: its tabs and its action pages, the newer apps' pages too), once per page *shape*
(the same path with the same query keys). On each page it fails on what a client would notice:

- the page scrolls sideways, or a table scrolls sideways inside it (``scrollWidth`` wider than
  the window or than the box that clips it);
- a console error or an uncaught script error;
- a raw code or a blank where a value should be (``None``, ``snake_case`` codes, template
  braces, format placeholders, "until ." / "for  is");
- money written in the other language's number format;
- a date or a time not written as the language writes it (core.formats): an ISO 8601 timestamp
  ("2026-12-16 15:04", "2026-12-16T15:04:00Z") anywhere, a month named in the other language, a
  12-hour clock on a Spanish page;
- a tell-tale word of the other language.

Then the pages nobody links to: the status filter "Deleted", and a 404 in the site's layout.
One browser, one context per language (the viewport is resized on the loaded page), so the test
stays within a couple of minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Error, Page

from openbill.accounts.models import ApiToken, User
from openbill.core import demo
from openbill.services.choices import Status
from openbill.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.serial, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Links the crawler does not follow: leaving the session, files, the API's own documentation.
SKIP_PATHS = re.compile(r"^/(logout|language|api|static|media|staff|admin)/|/certificate/|/attachments/|/logout/")

# Visible text that is a code or a hole, never a sentence.
RAW = [
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\b(null|undefined|NaN)\b"), "null/undefined/NaN"),
    (re.compile(r"\{\{|\}\}|\{%|%\}"), "template braces"),
    (re.compile(r"%\(\w+\)[sd]|(?<![\w%])%[sd]\b"), "format placeholder"),
    # (An API token's shown prefix, "obt_x-K6H0MW…", is not a code: its random letters may look so.)
    (re.compile(r"\b(?!obt_)[a-z]+(?:_[a-z]+)+\b"), "snake_case code"),
    (re.compile(r"\b(until|for|hasta|para|de)[ \t]+[.,;:]"), "empty value before punctuation"),
    (re.compile(r"\b(for|para)[ \t]{2,}\w"), "empty value between words"),
    (re.compile(r"\(\s*\)"), "empty parentheses"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"), "an ISO 8601 timestamp"),
]

# Dates and times as the other language writes them (core.formats: a day as the seed writes it,
# "2026-12-16", in every language; a moment with its month named in the language, "Dec 16, 2026,
# 3:04 PM" / "16 dic 2026, 15:04"; a month by name).
_EN_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_ES_MONTHS = r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
OTHER_DATES = {
    "en": [(re.compile(rf"\b({_ES_MONTHS}|ene|abr|ago|dic)\b"), "a Spanish month name")],
    "es": [
        # Abbreviations only in a date ("Dec 6"): "Jan Mayen" is an island in the country list.
        (re.compile(rf"\b({_EN_MONTHS}|(Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{{1,2}})\b"), "an English month name"),
        (re.compile(r"\b\d{1,2}:\d{2}\s?(AM|PM|am|pm)\b"), "a 12-hour clock"),
    ],
}

# Amounts shown to people: a number beside a currency or a unit. English writes 1,500.00;
# Spanish 1.500,00 (or 1500,00).
_AMOUNT = r"(\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d[\d.,]*\d|\d)"
_CURRENCY = r"(?:USD|EUR|US\$|\$|€)"
_UNIT = r"(?:GiB|MiB|TiB|GB|MB|TB|%)"
MONEY = re.compile(rf"{_AMOUNT}\s?(?:{_CURRENCY}|{_UNIT})(?!\w)|{_CURRENCY}\s?{_AMOUNT}")
WELL_FORMED = {
    "en": re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$"),
    "es": re.compile(r"^\d{1,3}([.\u00a0\u202f ]\d{3})*(,\d+)?$|^\d+(,\d+)?$"),
}

# Words that give the other language away (service names and host names in the demo avoid them).
TELLTALE = {
    # On an English page:
    "en": re.compile(
        r"\b(Activo|Activa|Suspendido|Pagado|Saldo|Pedidos|servicios?|Servicios?|complementos|añadidos|"
        r"reembolso|periodo|período|hasta|Caduca|Detenido|Historial|Detalles|Año|Mes|días?)\b"
    ),
    # On a Spanish page:
    "es": re.compile(
        r"\b(Paid|until|Expires|Stopped|Active|Suspended|Balance|changed|charged|refund|first period|"
        r"Payment|Orders|Details|History|Deleted|Status|Renew|Year|Month|Waiting|Order a service|addresses)\b"
    ),
}

PAGE_CHECKS = """() => {
  const width = window.innerWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width) wide.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.offsetParent === null) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
  }
  return {wide, text: document.body.innerText, lang: document.documentElement.lang};
}"""


@dataclass
class Crawl:
    base: str
    language: str
    problems: list[str] = field(default_factory=list)
    seen: set[tuple[str, frozenset[str]]] = field(default_factory=set)
    visited: list[str] = field(default_factory=list)

    def shape(self, url: str) -> tuple[str, frozenset[str]] | None:
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != urlsplit(self.base).netloc:
            return None
        if SKIP_PATHS.search(parts.path):
            return None
        return parts.path, frozenset(key for key, _value in parse_qsl(parts.query))

    def check_text(self, where: str, text: str) -> None:
        for pattern, what in RAW:
            for match in pattern.finditer(text):
                self.problems.append(f"{where}: {what}: …{_around(text, match)}…")
        for match in MONEY.finditer(text):
            number = (match.group(1) or match.group(2)).strip()
            if not WELL_FORMED[self.language].match(number):
                self.problems.append(f"{where}: a number in the other language's format: {match.group(0)!r}")
        for pattern, what in OTHER_DATES[self.language]:
            for match in pattern.finditer(text):
                self.problems.append(f"{where}: {what}: …{_around(text, match)}…")
        for match in TELLTALE[self.language].finditer(text):
            self.problems.append(
                f"{where}: {'Spanish' if self.language == 'en' else 'English'} word: …{_around(text, match)}…"
            )

    def check_page(self, page: Page, where: str) -> None:
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            result = page.evaluate(PAGE_CHECKS)
            label = f"{where} @{size['width']}px"
            for wide in result["wide"]:
                self.problems.append(f"{label}: {wide}")
            if result["lang"] != self.language:
                self.problems.append(f"{label}: <html lang={result['lang']!r}>")
            self.check_text(label, result["text"])
        page.set_viewport_size(DESKTOP)

    def links(self, page: Page) -> list[str]:
        hrefs: list[str] = page.eval_on_selector_all(
            "a[href]:not([download]):not([target=_blank])", "links => links.map(a => a.href)"
        )
        return hrefs

    def run(self, page: Page, start: str) -> None:
        queue = [start]
        while queue:
            url = queue.pop(0)
            shape = self.shape(url)
            if shape is None or shape in self.seen:
                continue
            self.seen.add(shape)
            path = url.removeprefix(self.base)
            try:
                response = page.goto(url)
            except Error as error:
                if "Download is starting" in str(error):
                    continue
                raise
            self.visited.append(path)
            if response is None or response.status >= 400:
                self.problems.append(f"{path}: HTTP {response.status if response else '—'}")
                continue
            if urlsplit(page.url).netloc != urlsplit(self.base).netloc:
                continue  # a redirect out of the site (a payment gateway)
            self.check_page(page, path)
            queue.extend(link.split("#")[0] for link in self.links(page))


def _around(text: str, match: re.Match[str]) -> str:
    start, end = max(match.start() - 30, 0), min(match.end() + 30, len(text))
    return " ".join(text[start:end].split())


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username], input[type=email]", "alice@demo.test")
    page.fill("input[type=password]", demo.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")


def _switch_language(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/profile/")
    form = page.locator("main form:has(select[name=language])").first
    form.locator("select[name=language]").select_option(language)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _crawl(browser: Browser, base: str, language: str, console: list[str]) -> Crawl:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    where = {"url": ""}
    page.on("console", lambda m: console.append(f"{where['url']}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"{where['url']}: {e}"))
    page.on("framenavigated", lambda frame: where.update(url=frame.url) if frame == page.main_frame else None)
    _log_in(page, base)
    _switch_language(page, base, language)
    crawl = Crawl(base=base, language=language)
    crawl.run(page, f"{base}/")

    # Pages that no link leads to: the status filter "Deleted" (its service's pages are crawled
    # too), and a page that does not exist (its 404 is the one console error expected).
    crawl.run(page, f"{base}/services/?status=deleted")
    console_before = len(console)
    missing = page.goto(f"{base}/services/999999/")
    assert missing is not None and missing.status == 404
    del console[console_before:]
    crawl.check_page(page, "/services/999999/ (404)")
    if not page.locator("#main-nav a[href]").count() or not page.locator("main a[href='/']").count():
        crawl.problems.append("404: not in the site's layout, or no way back")
    # A choice parameter's value is shown by its label in the language, not by its stored code.
    web = Service.objects.get(client__email="alice@demo.test", name="Web server")
    page.goto(f"{base}/services/{web.pk}/")
    label = {"en": "Frankfurt, Germany", "es": "Fráncfort, Alemania"}[language]
    if label not in page.inner_text("main"):
        crawl.problems.append(f"/services/{web.pk}/: the data centre is not shown as {label!r}")
    context.close()
    return crawl


def _deleted_last_week(email: str) -> Service:
    """A deleted service, still visible to its client (OPENBILL_DELETED_VISIBLE_DAYS)."""
    service = Service.objects.filter(client__email=email, status=Status.ACTIVE).order_by("id").last()
    assert service is not None
    Service.objects.filter(pk=service.pk).update(
        status=Status.DELETED, deleted_at=timezone.now() - timedelta(days=7), suspended_expired=False
    )
    return service


def test_every_client_area_page_in_english_and_spanish_on_desktop_and_phone(live_server: Any, browser: Browser) -> None:
    demo.load(timezone.now())
    deleted = _deleted_last_week("alice@demo.test")
    # A token in the Profile's token table.
    ApiToken.issue(User.objects.get(email="alice@demo.test"), "Backups")
    console: list[str] = []
    problems: list[str] = []
    visited = 0
    for language in ("en", "es"):
        crawl = _crawl(browser, live_server.url, language, console)
        problems += [f"[{language}] {problem}" for problem in crawl.problems]
        visited += len(crawl.visited)
        # Every page of every demo service was reached (its tabs and action pages).
        assert any("/statistics/" in path for path in crawl.visited)
        assert any("/ips/" in path for path in crawl.visited)
        assert any("/machines/" in path for path in crawl.visited)
        assert any("/domain/" in path for path in crawl.visited)
        assert any(path.startswith("/support/") for path in crawl.visited)
        assert f"/services/{deleted.pk}/history/" in crawl.visited
    problems += [f"console: {line}" for line in console]
    assert visited > 60
    assert not problems, f"{len(problems)} problems on {visited} pages:\n" + "\n".join(sorted(set(problems)))
