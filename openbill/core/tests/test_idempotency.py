"""Idempotency-Key: replayed, scoped, refused with other parameters, kept 24 hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
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


class Awkward(APIView):
    """Answers with text that no JSON column can hold: a NUL and a lone surrogate."""

    @idempotent
    def post(self, request: Any) -> Response:
        calls.append(1)
        return Response({"detail": "a\x00b\ud800c", "code": "invalid", "n": len(calls)}, status=400)


def call(user: Any, data: dict[str, Any], key: str | None = "k", view: Any = Counter) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    request = APIRequestFactory().post("/counter/", data, format="json", **headers)
    force_authenticate(request, user=user)
    return view.as_view()(request)


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
        started_at=timezone.now(),
    )
    assert call(alice_user, {"a": 1}).status_code == 409
    assert not calls


def test_a_request_that_died_frees_its_key_once_its_lease_is_over(alice_user: Any, settings: Any) -> None:
    settings.OPENBILL_IDEMPOTENCY_LEASE_SECONDS = 60
    start = timezone.now()
    # The server died while this request ran: its record has no answer and never will.
    IdempotencyRecord.objects.create(
        scope=f"user:{alice_user.pk}",
        endpoint="POST /counter/",
        key="k",
        request_hash=idempotency.request_hash(_request(alice_user, {"a": 1})),
        created_at=start,
        started_at=start,
    )
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert call(alice_user, {"a": 1}).status_code == 409
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        retry = call(alice_user, {"a": 1})
        assert (retry.status_code, retry.data) == (201, {"n": 1})
        assert call(alice_user, {"a": 2}).status_code == 422  # the key is still bound to its parameters
    replay = call(alice_user, {"a": 1})
    assert (replay.status_code, replay.data, replay["Idempotent-Replayed"]) == (201, {"n": 1}, "true")
    assert len(calls) == 1


def test_an_answer_with_a_nul_or_a_lone_surrogate_is_stored_and_replayed_exactly(alice_user: Any) -> None:
    first = call(alice_user, {"a": 1}, view=Awkward)
    second = call(alice_user, {"a": 1}, view=Awkward)
    assert (first.status_code, first.data) == (400, {"detail": "a\x00b\ud800c", "code": "invalid", "n": 1})
    assert (second.status_code, second.data) == (first.status_code, first.data)
    assert second["Idempotent-Replayed"] == "true"
    assert len(calls) == 1


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
