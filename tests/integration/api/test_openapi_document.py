"""The OpenAPI document as client generators read it: names, security, problems, constraints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from entrypoints.http.app import openapi_document
from entrypoints.http.openapi import PROBLEM_JSON
from tests.support.service import ROOT, Running

pytestmark = pytest.mark.integration

METHODS = {"get", "put", "post", "delete", "patch"}
PUBLIC = {
    "getHealth",
    "getReadiness",
    "getPeriod",
    "getTicketJwks",
    "getMetrics",
    "viewDoorPage",
    "viewDeviceAdminPage",
    "viewAttendanceAdminPage",
    "pairDevice",
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi_document()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_tickets_openapi_writes_the_served_document_without_a_server_or_settings(
    running: Running, tmp_path: Path
) -> None:
    out = tmp_path / "openapi.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "STRIPE_", "TICK"))}
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "openapi", "--output", str(out)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    served = running.api.client.get("/schema/openapi.json")
    assert served.status_code == 200
    assert json.loads(out.read_text()) == served.json()
    assert not (tmp_path / "var").exists()  # no store, no dev secrets were made


def test_the_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_schema_names_are_unique_and_meaningful(doc: dict[str, Any]) -> None:
    names = list(doc["components"]["schemas"])
    # A module-qualified name (`schemas_TrackOut`) means two structs share a class name.
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]+", name) for name in names), names
    for name in ("PeriodOut", "PeriodTrackOut", "TicketTrackOut", "ProblemDetails"):
        assert name in names


def test_operations_have_explicit_camel_case_ids_and_contract_path_names(
    doc: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(doc)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]+", op_id) for op_id in ids), ids
    for name in ("getMyTicket", "downloadTicketPdf", "scanTicket", "createOrder", "getPeriod"):
        assert name in ids
    for path in doc["paths"]:
        for parameter in re.findall(r"{([^}]+)}", path):
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", parameter), path
    for path in (
        "/api/periods/{periodCode}",
        "/api/tickets/{periodCode}",
        "/api/orders/{orderId}",
        "/api/tickets/download/{ticketId}",
        "/tickets/{ticketId}",
        "/api/tickets/{ticketId}/resend",
        "/api/admin/tickets/{ticketId}/rotate",
        "/api/admin/tickets/{ticketId}/revoke",
        "/api/admin/audit/{aggregateId}/events",
    ):
        assert path in doc["paths"], sorted(doc["paths"])


def test_each_route_names_its_own_security(doc: dict[str, Any]) -> None:
    assert "security" not in doc  # nothing document-wide: public routes need nothing
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["signedLinkKey"]["in"] == "query" and schemes["signedLinkKey"]["name"] == "key"
    assert schemes["stripeSignature"]["in"] == "header"
    assert schemes["stripeSignature"]["name"] == "Stripe-Signature"
    security = {op["operationId"]: op.get("security") for _, _, op in operations(doc)}
    assert security["receiveStripeWebhook"] == [{"stripeSignature": []}]
    assert security["viewTicketPage"] == [{"signedLinkKey": []}]
    assert security["downloadTicketPdf"] == [{"bearerAuth": []}, {"signedLinkKey": []}]
    for op_id in PUBLIC:
        assert security[op_id] is None, op_id
    assert security["scanTicket"] == [{"bearerAuth": []}, {"deviceCredential": []}]
    assert security["getCurrentDevice"] == [{"deviceCredential": []}]
    for _, _, op in operations(doc):
        credentials = op.get("security") or []
        if {"bearerAuth": []} in credentials or {"deviceCredential": []} in credentials:
            assert "401" in op["responses"], op["operationId"]  # a bearer route can say 401
        else:
            assert "401" not in op["responses"], op["operationId"]
    bearer_only = set(security) - PUBLIC - {"receiveStripeWebhook", "viewTicketPage"}
    assert all(security[op_id] is not None for op_id in bearer_only)


def test_every_error_is_documented_as_problem_details_with_its_codes(doc: dict[str, Any]) -> None:
    problem_ref = {"$ref": "#/components/schemas/ProblemDetails"}
    assert set(doc["components"]["schemas"]["ProblemDetails"]["required"]) == {
        "type",
        "status",
        "title",
        "detail",
        "code",
    }
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
            media = response["content"][PROBLEM_JSON]
            assert media["schema"] == problem_ref
            codes = set(media["examples"])
            assert codes, (method, path, status)
            for code, example in media["examples"].items():
                assert example["value"]["code"] == code
                assert example["value"]["status"] == int(status)
                assert f"`{code}`" in response["description"]
    responses = {op["operationId"]: op["responses"] for _, _, op in operations(doc)}
    assert set(responses["getMyTicket"]) >= {"200", "401", "404", "409", "429"}
    assert (
        "profile_required" in responses["getMyTicket"]["409"]["content"][PROBLEM_JSON]["examples"]
    )
    assert responses["getMyTicket"]["429"]["headers"]["Retry-After"]["schema"]["type"] == (
        "integer"
    )
    for status in ("200", "429"):
        headers = responses["getMyTicket"][status]["headers"]
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers)
    assert {"400", "413", "415", "422"} <= set(responses["createOrder"])
    assert "period_exists" in responses["createPeriod"]["409"]["content"][PROBLEM_JSON]["examples"]


def test_success_media_types_say_what_comes_back(doc: dict[str, Any]) -> None:
    success = {
        op["operationId"]: next(v for k, v in op["responses"].items() if k.startswith("2"))
        for _, _, op in operations(doc)
    }
    assert success["downloadTicketPdf"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    assert list(success["viewTicketPage"]["content"]) == ["text/html"]
    assert list(success["getMetrics"]["content"]) == ["text/plain"]
    assert success["getMyTicket"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketOut"
    }
    assert success["getTicketJwks"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JwksOut"
    }


def test_bodies_carry_examples_that_match_their_schemas(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    with_examples = [name for name, schema in schemas.items() if schema.get("examples")]
    for name in ("PeriodIn", "PeriodOut", "ProfileIn", "OrderIn", "OrderOut", "TicketOut"):
        assert name in with_examples
    for name in (*with_examples, "ProblemDetails"):
        validator = Draft202012Validator({"$ref": f"#/components/schemas/{name}", **doc})
        for example in schemas[name].get("examples", []):
            validator.validate(example)
    for _, _, op in operations(doc):
        for response in op["responses"].values():
            for example in response.get("content", {}).get(PROBLEM_JSON, {}).get("examples", {}):
                problem = response["content"][PROBLEM_JSON]["examples"][example]["value"]
                Draft202012Validator(
                    {"$ref": "#/components/schemas/ProblemDetails", **doc}
                ).validate(problem)


def test_fields_carry_the_constraints_the_service_enforces(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    period = schemas["PeriodIn"]["properties"]
    assert period["code"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    assert (period["code"]["minLength"], period["code"]["maxLength"]) == (1, 64)
    assert period["startDate"]["format"] == "date"
    assert period["currency"]["pattern"] == "^[A-Za-z]{3}$"
    order = schemas["OrderIn"]["properties"]
    assert (order["registrations"]["minItems"], order["registrations"]["maxItems"]) == (1, 20)
    assert {"$ref": "#/components/schemas/Role"} in schemas["RegistrationIn"]["properties"]["role"][
        "oneOf"
    ]
    assert set(schemas["Role"]["enum"]) == {"leader", "follower"}
    assert schemas["TrackIn"]["properties"]["priceCents"]["minimum"] == 0
    for name in ("PeriodIn", "OrderIn", "ProfileIn", "ScanIn", "RevokeIn"):
        assert schemas[name]["additionalProperties"] is False, name  # unknown fields: 422
    assert schemas["OrderOut"]["properties"]["status"] == {
        "$ref": "#/components/schemas/OrderStatus"
    }
    assert set(schemas["OrderStatus"]["enum"]) == {"PENDING", "PAID", "REFUNDED", "CANCELLED"}
    assert set(schemas["ScanResult"]["enum"]) == {
        "ok",
        "already_checked_in",
        "invalid",
        "expired",
        "revoked",
        "superseded",
        "wrong_period",
        "wrong_class",
    }
    assert schemas["TicketOut"]["properties"]["ticketId"]["format"] == "uuid"
    assert schemas["TicketOut"]["properties"]["qrTokenExpiresAt"]["format"] == "date-time"
