"""What every feature's request and response bodies share: camelCase on the wire (as API.md
says), unknown fields refused, and the constrained text and number types. Each feature's own
bodies are in its package (``entrypoints.http.tickets.schemas``...)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]
# One address (the domain refuses anything else): `format: email` tells client generators.
Email = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=254, extra_json_schema={"extra": {"format": "email"}}),
]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
Currency = Annotated[
    str,
    msgspec.Meta(
        min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. NOK"
    ),
]


class Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A request body: camelCase, unknown fields refused."""


class Out(msgspec.Struct, rename="camel"):
    """A response body: camelCase. Its class name names the type in generated clients."""


# Device and scan ids are recorded and logged: printable, short.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x20-\x7e]+$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
