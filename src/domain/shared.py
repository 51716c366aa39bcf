"""Values and rules shared by every aggregate: causes, stable ids and the error root."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from uuid import UUID, uuid5

# Fixed forever: every deterministic id in the event store is derived from it.
NAMESPACE = UUID("6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10")


def stable_id(kind: str, *parts: object) -> UUID:
    """A deterministic id for a natural key, so that two writers of one key collide."""
    return uuid5(NAMESPACE, "/".join([kind, *map(str, parts)]))


@dataclass(frozen=True)
class Cause:
    """Who or what caused an event: an auditor's first question.

    ``actor`` is a user id, ``stripe`` or ``system``; ``reference`` is the Stripe event id or
    the request id where there is one. ``request_id`` is the HTTP request (``X-Request-ID``)
    that caused it, also for Stripe's webhooks: the worker's log lines about the event carry it,
    so one id follows a fulfilment from the webhook to the email. Events recorded before it
    existed decode with None.
    """

    actor: str
    reference: str | None = None
    request_id: str | None = None


SYSTEM = Cause(actor="system")


class DomainError(Exception):
    """Raised when a command would break a rule of the domain."""


# Characters that no name, code or one-line text may hold: C0 and C1 controls (NUL cannot even
# be stored in PostgreSQL text; CR/LF break email headers), DEL, and the Unicode line and
# paragraph separators. Multi-line text may hold tab and line feed.
_NOT_IN_ONE_LINE = frozenset(
    [*map(chr, range(0x00, 0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029"]
)
_NOT_IN_LINES = _NOT_IN_ONE_LINE - {"\t", "\n"}
_JOINERS = frozenset({"\u200c", "\u200d"})  # ZWNJ and ZWJ: parts of Persian or Indic words


def unprintable(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that it may not hold, described (U+0000), else None.

    Lone surrogates are refused too: they cannot be encoded, stored or rendered. So are
    invisible format characters (Unicode's Cf: bidirectional overrides such as U+202E that
    show "Åse" as "esÅ" in a roster or a CSV, zero-width spaces that make two names look
    alike), but for the zero-width joiners some scripts need within words.
    """
    refused = _NOT_IN_LINES if multiline else _NOT_IN_ONE_LINE
    for char in text:
        if (
            char in refused
            or "\ud800" <= char <= "\udfff"
            or (char not in _JOINERS and unicodedata.category(char) == "Cf")
        ):
            return f"U+{ord(char):04X}"
    return None
