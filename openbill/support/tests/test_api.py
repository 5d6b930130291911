"""Support in the API: ask, read, reply, close; Idempotency-Key on asking and replying."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openbill.api.tests.conftest import token_client
from openbill.support.models import Message, Ticket

pytestmark = pytest.mark.django_db


def test_ask_read_reply_and_close_through_the_api(alice_user, alice_vps, technical):
    api = token_client(alice_user)
    assert api.get("/api/v1/support/departments/").json()["results"] == [{"id": technical.pk, "name": "Technical"}]

    created = api.post(
        "/api/v1/tickets/",
        {"subject": "API?", "body": "How do I use it?", "service": alice_vps.pk, "department": technical.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["subject"], body["status"], body["service"], body["department"]["name"]) == (
        "API?",
        "open",
        alice_vps.pk,
        "Technical",
    )
    assert [m["body"] for m in body["messages"]] == ["How do I use it?"]

    with_file = api.post(
        f"/api/v1/tickets/{body['id']}/reply/",
        {"body": "Log attached", "attachments": [SimpleUploadedFile("x.log", b"line\n")]},
        format="multipart",
    )
    assert with_file.status_code == 200, with_file.content
    file_url = with_file.json()["messages"][1]["attachments"][0]["url"]
    assert b"".join(api.get(file_url).streaming_content) == b"line\n"

    closed = api.post(f"/api/v1/tickets/{body['id']}/close/")
    assert closed.json()["status"] == "closed"
    listed = api.get("/api/v1/tickets/").json()["results"]
    assert [(t["id"], t["status"]) for t in listed] == [(body["id"], "closed")]


def test_a_retried_ask_or_reply_with_the_same_key_posts_once(alice_user, technical):
    api = token_client(alice_user)
    first = api.post("/api/v1/tickets/", {"subject": "Once", "body": "?"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/tickets/", {"subject": "Once", "body": "?"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1

    url = f"/api/v1/tickets/{first.json()['id']}/reply/"
    for _attempt in range(3):
        api.post(url, {"body": "more"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "x", "body": ""}, "body"),
        ({"subject": "x", "body": "x", "service": 999999}, "service"),
        ({"subject": "x", "body": "x", "department": 999999}, "department"),
        ({"subject": "x", "body": "x", "priority": "panic"}, "priority"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_creates_nothing(alice_user, technical, payload, field):
    answer = token_client(alice_user).post("/api/v1/tickets/", payload, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Ticket.objects.exists()


def test_an_abuse_department_cannot_be_chosen_for_a_question(alice_user, provider):
    from openbill.support.actions import abuse_department

    abuse = abuse_department(provider)
    api = token_client(alice_user)
    assert abuse.pk not in [d["id"] for d in api.get("/api/v1/support/departments/").json()["results"]]
    answer = api.post("/api/v1/tickets/", {"subject": "x", "body": "x", "department": abuse.pk}, format="json")
    assert answer.status_code == 400 and "department" in answer.json()


def test_an_attachment_larger_than_the_json_body_limit_goes_through_the_api(alice_user, technical, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    api = token_client(alice_user)
    big = SimpleUploadedFile("big.log", b"a" * (3 * 1024 * 1024))
    answer = api.post("/api/v1/tickets/", {"subject": "Big", "body": "log", "attachments": [big]}, format="multipart")
    assert answer.status_code == 201, answer.content
    assert answer.json()["messages"][0]["attachments"][0]["size"] == 3 * 1024 * 1024
    too_big = api.post(
        "/api/v1/tickets/",
        {"subject": "Big", "body": "x" * (2 * 1024 * 1024)},
        format="json",
    )
    assert too_big.status_code == 413
