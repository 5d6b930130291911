"""Encryption of secrets at rest (module passwords, generated private keys)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    material = settings.OPENBILL_FIELD_KEY or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(f"openbill-field:{material}".encode()).digest())
    return Fernet(key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def encrypt_json(data: dict[str, Any]) -> str:
    return encrypt(json.dumps(data)) if data else ""


def decrypt_json(token: str) -> dict[str, Any]:
    return json.loads(decrypt(token)) if token else {}


MASK = "••••••"
