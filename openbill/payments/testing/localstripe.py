"""localstripe (a stateful stand-in for Stripe's API, from PyPI) on a loopback port, for tests.

Its command line binds every interface and keeps its state in /tmp/localstripe.pickle, written
on every change and shared by every process on the machine. Here it runs in a thread of the
test process, bound to 127.0.0.1, with that file switched off (``Store``'s disk methods do
nothing). The state is flushed with ``DELETE /_config/data`` between tests.

One call Openbill needs is missing from localstripe and is added here: listing PaymentIntents
filtered by ``customer`` (Stripe's ``GET /v1/payment_intents?customer=…``; localstripe answers
400 "Unexpected customer"), used to find a charge whose recording was lost.

Webhooks: ``register_webhook(url, secret)`` makes localstripe POST each event, signed with
Stripe's scheme (``Stripe-Signature: t=…,v1=HMAC-SHA256``), to ``url`` about a second after it
happens.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import requests


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStripe:
    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def js_url(self) -> str:
        return f"{self.base}/js.stripe.com/v3/"

    def start(self) -> LocalStripe:
        from aiohttp import web
        from localstripe import resources, server

        resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
        resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]

        def list_intents(cls: Any, url: str, customer: str | None = None, **kwargs: Any) -> Any:
            page = resources.StripeObject._api_list_all.__func__(cls, url, **kwargs)  # type: ignore[attr-defined]
            if customer is not None:
                page._list = [pi for pi in page._list if pi.customer == customer]
            return page

        resources.PaymentIntent._api_list_all = classmethod(list_intents)  # type: ignore[method-assign]
        ready = threading.Event()
        for noisy in ("aiohttp.access", "stripe"):
            logging.getLogger(noisy).setLevel(logging.WARNING)

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            runner = web.AppRunner(server.app)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="localstripe", daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("localstripe did not start")
        return self

    def flush(self) -> None:
        from localstripe import webhooks

        webhooks._webhooks.clear()
        requests.delete(f"{self.base}/_config/data", timeout=10).raise_for_status()

    def register_webhook(self, url: str, secret: str, events: list[str] | None = None) -> None:
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events:
            data["events[]"] = events
        requests.post(f"{self.base}/_config/webhooks/openbill", data=data, timeout=10).raise_for_status()
