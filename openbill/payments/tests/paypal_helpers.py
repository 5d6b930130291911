"""PayPal's REST API (Orders v2) at the HTTP boundary, for the tests: a local server answers
PayPal's calls with the request and response shapes of PayPal's documentation (OAuth token,
create order, capture, verify-webhook-signature, refund a capture), and serves a stand-in for
PayPal's approval page (the browser test approves on it)."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

WEBHOOK_ID = "1JE4291016473214C"


class FakePayPal:
    """PayPal's REST API as documented, with just enough state: orders, approvals, captures,
    the webhooks it sent (only those verify), refunds; PayPal-Request-Id replays a success."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.orders: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, dict[str, Any]] = {}
        self.by_request_id: dict[str, tuple[int, dict[str, Any]]] = {}
        self.refunds: list[dict[str, Any]] = []
        # Where the approval link points: PayPal's own site (unit tests never open it), or this
        # server's stand-in page (``hosted``, for the browser test).
        self.hosted = False
        server.expect_request("/checkoutnow", method="GET").respond_with_handler(self.approval_page)
        server.expect_request("/checkoutnow", method="POST").respond_with_handler(self.approve)
        server.expect_request("/v1/oauth2/token", method="POST").respond_with_json(
            {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": "A21AAFake",
             "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 31668, "nonce": "n"}
        )  # fmt: skip
        server.expect_request("/v2/checkout/orders", method="POST").respond_with_handler(self._idem(self.create))
        for suffix, handler in (("/capture", self.capture), ("", self.show)):
            server.expect_request(
                uri=re.compile(rf"^/v2/checkout/orders/(\w+){suffix}$"),
                method="POST" if suffix else "GET",
            ).respond_with_handler(self._idem(handler))
        server.expect_request(
            uri=re.compile(r"^/v2/payments/captures/(\w+)/refund$"), method="POST"
        ).respond_with_handler(self._idem(self.refund))
        server.expect_request("/v1/notifications/verify-webhook-signature", method="POST").respond_with_handler(
            self.verify
        )

    def _idem(self, handler: Any) -> Any:
        def wrapped(request: Request) -> Response:
            key = request.headers.get("PayPal-Request-Id", "")
            if key and key in self.by_request_id:
                status, body = self.by_request_id[key]
            else:
                status, body = handler(request)
                if key and status < 400:  # a refused call may be retried under the same id
                    self.by_request_id[key] = (status, body)
            return Response(json.dumps(body), status=status, content_type="application/json")

        return wrapped

    def create(self, request: Request) -> tuple[int, dict[str, Any]]:
        assert request.headers["Authorization"] == "Bearer A21AAFake"
        body = request.get_json()
        order_id = uuid.uuid4().hex[:17].upper()
        context = body["payment_source"]["paypal"]["experience_context"]
        self.orders[order_id] = {"unit": body["purchase_units"][0], "approved": False, "capture": None, **context}
        return 200, {
            "id": order_id,
            "status": "PAYER_ACTION_REQUIRED",
            "payment_source": {"paypal": {}},
            "links": [
                {"href": f"{self.server.url_for('')}v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                {"href": self.approval_link(order_id), "rel": "payer-action", "method": "GET"},
            ],
        }  # fmt: skip

    def show(self, request: Request) -> tuple[int, dict[str, Any]]:
        order_id = request.path.split("/")[4]
        return 200, {"id": order_id, "status": "PAYER_ACTION_REQUIRED", "links": [
            {"href": self.approval_link(order_id), "rel": "payer-action"}]}  # fmt: skip

    def approval_link(self, order_id: str) -> str:
        if self.hosted:
            return self.server.url_for(f"/checkoutnow?token={order_id}")
        return f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}"

    def approval_page(self, request: Request) -> Response:
        """PayPal's approval page, as a stand-in: the amount, *Pay Now* and *Cancel*."""
        order_id = request.args["token"]
        order = self.orders[order_id]
        amount = order["unit"]["amount"]
        page = (
            "<!doctype html><html><head><title>PayPal (stand-in)</title></head><body>"
            f"<h1>PayPal</h1><p data-testid='paypal-amount'>{html.escape(amount['value'])} "
            f"{html.escape(amount['currency_code'])}</p>"
            f"<form method='post' action='/checkoutnow?token={html.escape(order_id)}'>"
            "<button type='submit'>Pay Now</button></form>"
            f"<a href='{html.escape(order['cancel_url'])}'>Cancel and return</a></body></html>"
        )
        return Response(page, content_type="text/html")

    def approve(self, request: Request) -> Response:
        """The buyer approves: PayPal sends the browser to the merchant's return URL."""
        order_id = request.args["token"]
        order = self.orders[order_id]
        order["approved"] = True
        return Response("", status=302, headers={"Location": f"{order['return_url']}?token={order_id}&PayerID=P1"})

    def capture(self, request: Request) -> tuple[int, dict[str, Any]]:
        order_id = request.path.split("/")[4]
        order = self.orders[order_id]
        if not order["approved"]:
            return 422, {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "ORDER_NOT_APPROVED"}],
                         "message": "The requested action could not be performed."}  # fmt: skip
        unit = order["unit"]
        order["capture"] = {
            "id": uuid.uuid4().hex[:17].upper(),
            "status": "COMPLETED",
            "amount": unit["amount"],
            "final_capture": True,
            "custom_id": unit["custom_id"],
            "seller_protection": {"status": "ELIGIBLE"},
        }
        return 201, {
            "id": order_id,
            "status": "COMPLETED",
            "payment_source": {"paypal": {"email_address": "buyer@example.com"}},
            "purchase_units": [{"reference_id": unit["reference_id"], "payments": {"captures": [order["capture"]]}}],
        }

    def refund(self, request: Request) -> tuple[int, dict[str, Any]]:
        self.refunds.append({"capture": request.path.split("/")[4], **request.get_json()})
        return 201, {"id": uuid.uuid4().hex[:17].upper(), "status": "COMPLETED"}

    def verify(self, request: Request) -> Response:
        body = request.get_json()
        sent = self.sent.get(body["transmission_id"])
        ok = sent is not None and sent["sig"] == body["transmission_sig"] and sent["event"] == body["webhook_event"]
        ok = ok and body["webhook_id"] == WEBHOOK_ID
        return Response(
            json.dumps({"verification_status": "SUCCESS" if ok else "FAILURE"}), content_type="application/json"
        )

    def webhook(self, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """An event as PayPal posts it: the body and its transmission headers."""
        transmission = str(uuid.uuid4())
        self.sent[transmission] = {"sig": "sig-" + transmission, "event": event}
        return json.dumps(event).encode(), {
            "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA",
            "HTTP_PAYPAL_CERT_URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42",
            "HTTP_PAYPAL_TRANSMISSION_ID": transmission,
            "HTTP_PAYPAL_TRANSMISSION_SIG": "sig-" + transmission,
            "HTTP_PAYPAL_TRANSMISSION_TIME": "2026-12-06T12:00:00Z",
        }

    def capture_event(self, order_id: str, **change: Any) -> dict[str, Any]:
        capture = {**self.orders[order_id]["capture"], **change}
        return {
            "id": "WH-" + uuid.uuid4().hex[:16].upper(),
            "event_version": "1.0",
            "resource_type": "capture",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "summary": "Payment completed",
            "resource": {**capture, "supplementary_data": {"related_ids": {"order_id": order_id}}},
        }


@pytest.fixture
def paypal(settings: Any, httpserver: HTTPServer) -> FakePayPal:
    settings.PAYPAL_CLIENT_ID = "AcLientId"
    settings.PAYPAL_CLIENT_SECRET = "EClientSecret"
    settings.PAYPAL_WEBHOOK_ID = WEBHOOK_ID
    settings.PAYPAL_API_BASE = httpserver.url_for("").rstrip("/")
    return FakePayPal(httpserver)
