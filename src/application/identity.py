"""Who calls: the identity provider's port and the principal it verifies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the identity provider describes them."""

    user_id: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class Unauthenticated(Exception):
    """Raised when a bearer token is missing, malformed, expired or not from our provider."""


@runtime_checkable  # the HTTP routes receive it by dependency injection, which checks types
class IdentityVerifier(Protocol):
    # True when a verification may wait on I/O (an identity provider's keys to fetch): then it
    # is called off the event loop.
    blocks: bool

    def verify(self, bearer_token: str) -> Principal:
        """The principal a bearer token speaks for; raises Unauthenticated."""
        ...
