"""What each route declares of the OpenAPI document: its security and the problems it answers.

The document is finished and served by ``entrypoints.http.openapi_document``.

Frontend teams generate their clients from this document (openapi-python-client,
openapi-typescript), and CI checks that they generate without a warning and that the running
service answers as documented (schemathesis). So every route declares, in its decorator:

    @post(
        "/{ticketId:uuid}/revoke",                # path parameters camelCase, as in API.md
        operation_id="revokeTicket",              # camelCase verb + noun, unique
        security=BEARER,                          # omit for public routes
        responses=problems(*ROLE_PROBLEMS, TICKET_NOT_FOUND, *BODY_PROBLEMS),
        summary="Revoke a ticket",                # one line; `description` for the rest
    )
    def revoke(self, ticket_id: TicketIdPath, data: JSONBody[RevokeIn]) -> AdminTicketOut:

- **Operation id**: explicit, camelCase, unique (`getMyTicket`, `scanTicket`): it names the
  function in every generated client, so never rename one.
- **Path parameters**: the URL template holds the contract's camelCase name (`{ticketId}`) and
  the handler takes it through an alias of ``entrypoints.http.params`` (``TicketIdPath``...),
  which maps it to a snake_case argument.
- **Security**: ``BEARER`` for a bearer token (roles are the handler's business: add
  ``FORBIDDEN`` to its problems), ``SIGNED_LINK`` for the emailed ``key``,
  ``BEARER_OR_SIGNED_LINK``, ``STRIPE_SIGNATURE``; nothing for public routes. A new scheme (a
  door device's credential) goes into ``SECURITY_SCHEMES`` with a constant beside these.
- **Problems**: every ``application/problem+json`` answer the route can give, as ``Problem``
  constants of the catalogue below (add one when a use case raises a new code). Body routes add
  ``*BODY_PROBLEMS``; bearer routes ``UNAUTHENTICATED``; rate-limited ones ``RATE_LIMITED``;
  routes that read or write the event store ``*STORE_PROBLEMS``; routes with a UUID in their
  path ``NOT_FOUND`` (the router's answer when that segment is no UUID). The schemathesis test fails
  when the service answers a status or a code that the route does not list.
- **Success media type**: ``media_type=`` of the decorator when it is not JSON (PDF, HTML,
  text); a JSON body's schema is its return annotation, a ``msgspec.Struct`` with a unique,
  meaningful class name (it names the type in every client).
- **Examples**: request and main response bodies get one in ``entrypoints.http.examples``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    Reference,
    SecurityRequirement,
    SecurityScheme,
)

from application.errors import BUSY, FORBIDDEN, INVALID_CURSOR, STORE_UNAVAILABLE, ErrorCode
from entrypoints.http.problems import PROBLEM_JSON, TITLE_OF, status_of

TITLE = "salsanor-tickets"

SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "bearerAuth": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="A JWT of the identity provider: `sub` is the user, roles in `roles`.",
    ),
    "signedLinkKey": SecurityScheme(
        type="apiKey",
        name="key",
        security_scheme_in="query",
        description="The key of a ticket's emailed link (`viewUrl`, `pdfUrl`): no bearer token.",
    ),
    "stripeSignature": SecurityScheme(
        type="apiKey",
        name="Stripe-Signature",
        security_scheme_in="header",
        description="Stripe's signature of the raw body with the webhook endpoint's secret.",
    ),
    "deviceCredential": SecurityScheme(
        type="apiKey",
        name="Authorization",
        security_scheme_in="header",
        description="`Device <credential>`: a paired door device (`POST /api/devices/pair`).",
    ),
}
BEARER: list[SecurityRequirement] = [{"bearerAuth": []}]
DEVICE: list[SecurityRequirement] = [{"deviceCredential": []}]
BEARER_OR_DEVICE: list[SecurityRequirement] = [{"bearerAuth": []}, {"deviceCredential": []}]
SIGNED_LINK: list[SecurityRequirement] = [{"signedLinkKey": []}]
BEARER_OR_SIGNED_LINK: list[SecurityRequirement] = [{"bearerAuth": []}, {"signedLinkKey": []}]
STRIPE_SIGNATURE: list[SecurityRequirement] = [{"stripeSignature": []}]


class FieldError(msgspec.Struct):
    """One field that broke the schema of a request."""

    key: str
    message: str


class ProblemDetails(msgspec.Struct, omit_defaults=True):
    """An error, as RFC 9457 problem details, with a stable machine-readable ``code``."""

    type: str
    status: int
    title: str
    detail: str
    code: str
    errors: list[FieldError] | None = None  # with code validation_failed: the fields at fault


@dataclass(frozen=True)
class Problem:
    """One documented error answer: its status, its code and when it is given."""

    status: int
    code: str
    meaning: str


# The codes only HTTP answers with, by status; the use cases' are in application.errors.
MALFORMED_BODY = Problem(400, "malformed_body", "the body is not valid UTF-8 JSON, or too deep")
BAD_REQUEST = Problem(
    400, "bad_request", "the request cannot be read as it is, e.g. a missing parameter"
)
INVALID_WEBHOOK = Problem(
    400, "invalid_webhook", "bad or missing signature, or a body that is not a Stripe event"
)
UNAUTHENTICATED = Problem(401, "unauthenticated", "no bearer token, or one that does not verify")
NOT_FOUND = Problem(404, "not_found", "the path names nothing here, e.g. an id that is no UUID")
INVALID_DEVICE = Problem(422, "invalid_device", "a device name has 1 to 80 characters")
PAYLOAD_TOO_LARGE = Problem(413, "payload_too_large", "the body is over the size limit")
UNSUPPORTED_MEDIA_TYPE = Problem(415, "unsupported_media_type", "the body is not JSON")
VALIDATION_FAILED = Problem(
    422, "validation_failed", "the body breaks the schema; `errors` names the fields"
)
INVALID_PERIOD = Problem(422, "invalid_period", "the period's fields do not make a period")
INVALID_ORDER = Problem(422, "invalid_order", "the registrations do not make an order")
INVALID_PROFILE = Problem(422, "invalid_profile", "the profile's fields are not usable")
INVALID_SCHEDULE = Problem(
    422, "invalid_schedule", "a class ends before it starts, overlaps another, or a date is off"
)
UNKNOWN_TRACK = Problem(422, "unknown_track", "the period has no track with this code")
RATE_LIMITED = Problem(429, "rate_limited", "too many requests; retry after `Retry-After` s")
FULFILMENT_FAILED = Problem(
    500, "internal_error", "the event could not be recorded (nothing was); Stripe retries"
)

BODY_PROBLEMS = (
    MALFORMED_BODY,
    BAD_REQUEST,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_FAILED,
)
STORE_PROBLEMS = (BUSY, STORE_UNAVAILABLE)
WRITE_PROBLEMS = (*BODY_PROBLEMS, *STORE_PROBLEMS)  # a route that takes a body and records it
ROLE_PROBLEMS = (UNAUTHENTICATED, FORBIDDEN)  # a route that needs a role: admin, staff, a device

# An admin's paged list: a bad cursor or query parameter.
ADMIN_LIST_PROBLEMS = (*ROLE_PROBLEMS, INVALID_CURSOR, VALIDATION_FAILED, *STORE_PROBLEMS)

# Headers that come with some problem statuses (documented on those responses).
PROBLEM_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: the authentication scheme to use",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    503: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


# Bodies that a route reads raw (a signature covers their exact bytes): Litestar cannot see
# them, so they are described here, by operation id.
RAW_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "receiveStripeWebhook": (
        "StripeEvent",
        {
            "type": "object",
            "title": "StripeEvent",
            "description": "A Stripe event (snapshot payload), exactly as Stripe sent it.",
            "required": ["id", "type", "data"],
            "properties": {
                "id": {"type": "string", "examples": ["evt_1QxYz"]},
                "object": {"type": "string", "const": "event"},
                "type": {"type": "string", "examples": ["checkout.session.completed"]},
                "data": {
                    "type": "object",
                    "required": ["object"],
                    "properties": {"object": {"type": "object"}},
                },
            },
        },
    )
}


# Every answer of a rate-limited route that passed its guard says where the caller stands
# (IETF draft names); a route is rate limited when it documents a 429.
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {
        "description": "requests allowed in the current window",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Remaining": {
        "description": "requests left in the current window",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "seconds until the window resets",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
}


# On every answer (the request id middleware): the caller's X-Request-ID, else a new one.
REQUEST_ID_HEADER: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "the request's id: the caller's when it sent a sane one, else a new one",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    }
}


def problems(*documented: Problem | ErrorCode[Any]) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a route: one problem+json response per status, listing its codes."""
    by_status: dict[int, list[Problem]] = {}
    for entry in documented:
        problem = entry if isinstance(entry, Problem) else answered(entry)
        if problem not in by_status.setdefault(problem.status, []):
            by_status[problem.status].append(problem)
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_JSON,
            generate_examples=False,
            description="Problem codes: " + "; ".join(f"`{p.code}`: {p.meaning}" for p in listed),
            examples=[
                Example(
                    id=p.code,
                    summary=p.meaning,
                    value=_problem_example(p),
                )
                for p in listed
            ],
        )
        for status, listed in sorted(by_status.items())
    }


def answered(code: ErrorCode[Any]) -> Problem:
    """A use case's error code as HTTP answers it: its status from the kind of error it is."""
    return Problem(status_of(code.kind), code.code, code.meaning)


def _problem_example(problem: Problem) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "status": problem.status,
        "title": TITLE_OF.get(problem.status, "Error"),
        "detail": problem.meaning,
        "code": problem.code,
    }


def documented_codes(operation: Mapping[str, Any], status: int) -> set[str]:
    """The problem codes an operation of the finished document lists for a status."""
    response = operation.get("responses", {}).get(str(status), {})
    media = response.get("content", {}).get(PROBLEM_JSON, {})
    return set(media.get("examples", {}))
