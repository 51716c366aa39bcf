"""QR tokens: signed from recorded fields, recorded as a hash, derived again to be served."""

from __future__ import annotations

import hashlib

from application.clock import Clock
from application.tickets.ports import TokenClaims, TokenSigner
from domain.period import Period
from domain.shared import Cause
from domain.ticket import QrToken, Ticket


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, signer: TokenSigner, clock: Clock) -> None:
        self._signer = signer
        self._clock = clock

    def issue(self, ticket: Ticket, period: Period, cause: Cause) -> None:
        """Records a new token version on the ticket; the token itself is never recorded."""
        # Whole seconds: JWT times are integers, and derivation must reproduce them exactly.
        issued_at = self._clock.now().replace(microsecond=0)
        claims = TokenClaims(
            ticket_id=ticket.id,
            period_id=ticket.period_id,
            person_id=ticket.person_id,
            version=ticket.next_token_version,
            issued_at=issued_at,
            expires_at=period.ends_at(),
        )
        token = self._signer.sign(claims)
        ticket.record_token(
            QrToken(claims.version, claims.issued_at, claims.expires_at, token_hash(token)), cause
        )

    def current(self, ticket: Ticket) -> str | None:
        """The ticket's current token, derived again; None if it would not match its hash."""
        if ticket.token is None:
            return None
        recorded = ticket.token
        token = self._signer.sign(
            TokenClaims(
                ticket_id=ticket.id,
                period_id=ticket.period_id,
                person_id=ticket.person_id,
                version=recorded.version,
                issued_at=recorded.issued_at,
                expires_at=recorded.expires_at,
            )
        )
        return token if token_hash(token) == recorded.token_hash else None
