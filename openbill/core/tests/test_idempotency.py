"""Idempotency-Key: replayed, scoped, refused with other parameters, kept 24 hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from openbill.core import idempotency
from openbill.core.idempotency import idempotent
from openbill.core.models import IdempotencyRecord

calls: list[int] = []


class Counter(APIView):
    @idempotent
    def post(self, request: Any) -> Response:
        calls.append(1)
        if request.data.get("fail"):
            raise RuntimeError("boom")
        return Response({"n": len(calls)}, status=201)


def call(user: Any, data: dict[str, Any], key: str | None = "k") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    request = APIRequestFactory().post("/counter/", data, format="json", **headers)
    force_authenticate(request, user=user)
    return Counter.as_view()(request)


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def test_a_retry_replays_the_first_answer(alice_user: Any) -> None:
    first, second = call(alice_user, {"a": 1}), call(alice_user, {"a": 1})
    assert (first.status_code, first.data) == (201, {"n": 1})
    assert (second.status_code, second.data) == (201, {"n": 1})
    assert second["Idempotent-Replayed"] == "true"
    assert len(calls) == 1


def test_other_parameters_with_the_same_key_are_refused(alice_user: Any) -> None:
    call(alice_user, {"a": 1})
    assert call(alice_user, {"a": 2}).status_code == 422
    assert len(calls) == 1


def test_keys_belong_to_their_caller(alice_user: Any, bob_user: Any) -> None:
    call(alice_user, {"a": 1})
    assert call(bob_user, {"a": 1}).data == {"n": 2}


def test_without_a_key_every_call_runs(alice_user: Any) -> None:
    call(alice_user, {"a": 1}, key=None)
    call(alice_user, {"a": 1}, key=None)
    assert len(calls) == 2


def test_a_request_still_running_makes_the_retry_wait_with_409(alice_user: Any) -> None:
    IdempotencyRecord.objects.create(
        scope=f"user:{alice_user.pk}",
        endpoint="POST /counter/",
        key="k",
        request_hash=idempotency.request_hash(_request(alice_user, {"a": 1})),
        created_at=timezone.now(),
    )
    assert call(alice_user, {"a": 1}).status_code == 409
    assert not calls


def test_a_server_error_releases_the_key(alice_user: Any) -> None:
    with pytest.raises(RuntimeError):
        call(alice_user, {"fail": True})
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_kept_a_day_at_least(alice_user: Any) -> None:
    call(alice_user, {"a": 1})
    now = timezone.now()
    assert idempotency.purge(now + timedelta(hours=24)) == 0
    assert idempotency.purge(now + timedelta(hours=49)) == 1


def _request(user: Any, data: dict[str, Any]) -> Any:
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request

    raw = APIRequestFactory().post("/counter/", data, format="json")
    return Request(raw, parsers=[JSONParser()])
