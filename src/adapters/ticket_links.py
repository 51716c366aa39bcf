"""Signed ticket links (web view, PDF): an HMAC of ticket id and token version, no bearer needed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID

# 22 base64url characters: 132 bits of the HMAC, far beyond guessing, short enough for a URL.
KEY_LENGTH: Final = 22
# Domain separation: the links' key is derived from the token secret, never the secret itself.
_KEY_PURPOSE: Final = b"salsanor-tickets/view-key/v1"


@dataclass(frozen=True)
class TicketLinksConfig:
    base_url: str  # PUBLIC_BASE_URL, without a trailing slash
    secret: bytes = field(repr=False)  # TICKET_JWT_SECRET


class SignedTicketLinks:
    """TicketLinks: a rotated token (a new version) or a changed secret kills every old link.

    The PDF link carries the same key as the view: it grants nothing the page does not show.
    """

    def __init__(self, config: TicketLinksConfig) -> None:
        self._base = config.base_url.rstrip("/")
        self._key = hmac.new(config.secret, _KEY_PURPOSE, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"SignedTicketLinks(base_url={self._base!r})"

    def view_key(self, ticket_id: UUID, token_version: int) -> str:
        message = f"{ticket_id}:{token_version}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:KEY_LENGTH]

    def view_url(self, ticket_id: UUID, token_version: int) -> str:
        return f"{self._base}/tickets/{ticket_id}?key={self.view_key(ticket_id, token_version)}"

    def pdf_url(self, ticket_id: UUID, token_version: int) -> str:
        key = self.view_key(ticket_id, token_version)
        return f"{self._base}/api/tickets/download/{ticket_id}?key={key}"

    def check_view_key(self, ticket_id: UUID, token_version: int, key: str) -> bool:
        if len(key) != KEY_LENGTH:
            return False
        expected = self.view_key(ticket_id, token_version).encode()
        # Bytes, not str: compare_digest refuses non-ASCII text, and a query string may hold any.
        return hmac.compare_digest(expected, key.encode("utf-8", "replace"))
