"""CORS: allowed origins read the API from a browser, others and the webhook never."""

from __future__ import annotations

import pytest
from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.testing import TestClient

from entrypoints.http.cors import CorsMiddleware
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.settings import Settings, SettingsError, cors_origins_from_env
from tests.support.fakes import SETTINGS_ENV

pytestmark = pytest.mark.unit

FRONTEND = "https://app.salsanor.no"


@get("/api/tickets/{code:str}", sync_to_thread=False)
def ticket(code: FromPath[str]) -> dict[str, str]:
    if code == "missing":
        raise NotFoundException("no ticket")
    return {"code": code}


@post("/api/webhooks/stripe", sync_to_thread=False)
def webhook() -> dict[str, bool]:
    return {"received": True}


def client() -> TestClient[Litestar]:
    app = Litestar(
        route_handlers=[ticket, webhook],
        middleware=[CorsMiddleware(frozenset({FRONTEND}))],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    return TestClient(app)


def preflight(origin: str, path: str = "/api/tickets/2026-fall") -> dict[str, str]:
    with client() as http:
        answer = http.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, x-request-id",
            },
        )
    return dict(answer.headers)


def test_an_allowed_origin_passes_the_preflight_for_bearer_requests() -> None:
    headers = preflight(FRONTEND)

    assert headers["access-control-allow-origin"] == FRONTEND
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert "GET" in headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in headers  # bearer tokens, never cookies
    assert headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://app.salsanor.no.evil.example", "null"]
)
def test_other_origins_get_no_cors_headers(origin: str) -> None:
    assert "access-control-allow-origin" not in preflight(origin)
    with client() as http:
        answer = http.get("/api/tickets/2026-fall", headers={"Origin": origin})
    assert answer.status_code == 200  # the browser, not the server, withholds it from the page
    assert "access-control-allow-origin" not in answer.headers
    assert answer.headers["vary"] == "Origin"


def test_answers_to_an_allowed_origin_expose_rate_limits_and_the_request_id() -> None:
    with client() as http:
        found = http.get("/api/tickets/2026-fall", headers={"Origin": FRONTEND})
        missing = http.get("/api/tickets/missing", headers={"Origin": FRONTEND})

    for answer in (found, missing):  # problems too: the page must read their code
        assert answer.headers["access-control-allow-origin"] == FRONTEND
        exposed = {h.strip() for h in answer.headers["access-control-expose-headers"].split(",")}
        assert {
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "X-Request-ID",
        } <= exposed
    assert missing.status_code == 404


def test_the_stripe_webhook_never_answers_cross_origin() -> None:
    assert "access-control-allow-origin" not in preflight(FRONTEND, "/api/webhooks/stripe")
    with client() as http:
        answer = http.post("/api/webhooks/stripe", headers={"Origin": FRONTEND})
    assert "access-control-allow-origin" not in answer.headers


def test_without_an_origin_nothing_changes() -> None:
    with client() as http:
        answer = http.get("/api/tickets/2026-fall")
    assert not [h for h in answer.headers if h.startswith("access-control-")]


# --- CORS_ALLOW_ORIGINS ---------------------------------------------------------------------


def test_unset_means_no_origin() -> None:
    assert Settings.from_env(SETTINGS_ENV).http.cors_allow_origins == ()
    assert cors_origins_from_env({"CORS_ALLOW_ORIGINS": " , "}) == ()


def test_a_comma_list_of_origins_as_browsers_send_them() -> None:
    env = {
        "CORS_ALLOW_ORIGINS": "https://App.SalsaNor.no/, http://localhost:5173 ,http://[::1]:3000"
    }

    assert cors_origins_from_env(env) == (
        "https://app.salsanor.no",
        "http://localhost:5173",
        "http://[::1]:3000",
    )


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "app.salsanor.no",
        "https://*.salsanor.no",
        "https://app.salsanor.no/tickets",
        "ftp://files.example",
        "https://user:pw@app.example",
        "https://app.example:99999",
    ],
)
def test_anything_but_an_origin_stops_the_start(value: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ALLOW_ORIGINS"):
        Settings.from_env(SETTINGS_ENV | {"CORS_ALLOW_ORIGINS": f"https://ok.example,{value}"})
