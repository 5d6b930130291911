"""Signed one-time tokens for the links mailed to users (password reset, email confirmation)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Django's token generator with its own salt; the hash includes ``is_active``, so a
    confirmation link works once. (The salt keeps its old module path: links already mailed
    stay valid.)"""

    key_salt = "openbill.clientarea.signup.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.is_active}{user.email_confirmed}{user.email}{timestamp}"


confirmation_tokens = EmailConfirmationTokenGenerator()
