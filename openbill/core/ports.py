"""A port: the one place where a lower layer reaches code of a higher one, plugged in at start-up.

The lower module declares what it needs (a Protocol) and a ``Port`` for it; the higher app
plugs its implementation in from its ``AppConfig.ready``. So imports run one way, and a
missing plug fails loudly rather than silently doing nothing.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Port(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._impl: T | None = None

    def plug(self, impl: T) -> None:
        self._impl = impl

    def __call__(self) -> T:
        if self._impl is None:
            raise RuntimeError(f"Nothing is plugged in for {self.what}.")
        return self._impl
