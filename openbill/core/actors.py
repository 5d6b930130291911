"""Who did something: a client's user, a staff user, or the system (a sweep, a module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django.http import HttpRequest


class ActorKind(models.TextChoices):
    CLIENT = "client"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # "client", "staff" or "system"
    user_id: int | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls("system", None, label)

    @classmethod
    def of_user(cls, user: Any) -> Actor:
        kind = "staff" if getattr(user, "is_staff", False) else "client"
        return cls(kind, user.pk, user.get_username())

    @classmethod
    def of(cls, request: HttpRequest) -> Actor:
        return cls.of_user(request.user)

    @classmethod
    def client_of(cls, request: HttpRequest) -> Actor:
        """The actor of a client-area page or client API endpoint: always the client, even when
        the user is also staff, so that the client's rules (deletion policy, whose suspension
        may be lifted) apply to whatever is done on the client's side."""
        user = request.user
        return cls("client", user.pk, user.get_username())

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def __str__(self) -> str:
        return self.label or self.kind
