"""At the door over real HTTP, on SQLite and PostgreSQL: every result word, produced for real."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from adapters.persistence.eventstore import migrate
from domain.order import Order
from domain.scan import Scan
from domain.ticket import Ticket
from entrypoints.bootstrap import Services, build
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.service import ADMIN, ROOT, Api, admin_alerts, bearer, service_env
from tests.support.stripe_events import charge_refunded, checkout_completed

pytestmark = pytest.mark.integration

STAFF = bearer("door-staff-1", "staff")
EVENING = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)  # 18:00 in Oslo: the class starts


@dataclass
class SettableClock:
    moment: datetime = EVENING

    def now(self) -> datetime:
        return self.moment


def ed25519_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Door:
    """The service with EdDSA tokens and a clock the test sets, over its HTTP interface."""

    api: Api
    client: Any
    services: Services
    clock: SettableClock
    key: Ed25519PrivateKey

    def scan(self, token: str, headers: dict[str, str] = STAFF, **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/checkin/scan",
            json={"token": token, "deviceId": "door-a", **extra},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def result(self, token: str, **extra: Any) -> str:
        return str(self.scan(token, **extra)["result"])

    def sell(self, user: str = "dancer-1", *tracks: str, intent: str | None = None) -> str:
        """A paid order with a ticket; returns the ticket's current token."""
        self.api.profile(user)
        order = self.api.order(user, *(tracks or ("salsa1",)))
        payload = checkout_completed(order["orderId"], order["totalCents"], payment_intent=intent)
        assert self.api.webhook(payload).status_code == 200
        return self.token(user)

    def token(self, user: str = "dancer-1") -> str:
        response = self.api.ticket(user)
        assert response.status_code == 200, response.text
        token: str = response.json()["qrToken"]
        return token

    def ticket_id(self, token: str) -> str:
        return str(jwt.decode(token, options={"verify_signature": False})["sub"])

    def events(self, aggregate_id: str, kind: type[Any]) -> list[Any]:
        return [e for e in self.services.store.events.get(UUID(aggregate_id)) if type(e) is kind]

    def sign(self, claims: dict[str, Any], key: Ed25519PrivateKey | None = None) -> str:
        """A token made with our key (or another), e.g. to change one claim and nothing else."""
        kid = self.services.ticket_jwks["keys"][0]["kid"]
        return jwt.encode(claims, key or self.key, algorithm="EdDSA", headers={"kid": kid})


def door_services(database_url: str, clock: SettableClock, **env: str) -> Services:
    settings = Settings.from_env(service_env(database_url, **env))
    migrate(settings.database)
    return build(settings, clock=clock)


@pytest.fixture
def door(database_url: str) -> Iterator[Door]:
    key = Ed25519PrivateKey.generate()
    clock = SettableClock()
    services = door_services(database_url, clock, TICKET_JWT_PRIVATE_KEY=ed25519_pem(key))
    with TestClient(create_app(services)) as client:
        door = Door(Api(client), client, services, clock, key)
        door.api.schedule()
        yield door


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def with_bad_signature(token: str) -> str:
    """The token with one character of its signature changed (in the middle: all data bits)."""
    head, payload, signature = token.split(".")
    i = len(signature) // 2
    changed = "A" if signature[i] != "A" else "B"
    return f"{head}.{payload}.{signature[:i]}{changed}{signature[i + 1 :]}"


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(unb64url(token.split(".")[1]))
    return claims


# --- ok, already_checked_in, the next day -----------------------------------------------------


def test_a_fresh_token_is_ok_then_already_checked_in_then_ok_the_next_day(door: Door) -> None:
    token = door.sell()

    first = door.scan(token)
    door.clock.moment = EVENING + timedelta(hours=2)
    again = door.scan(token)
    door.clock.moment = EVENING + timedelta(days=1)
    next_day = door.scan(token)

    assert first["result"] == "ok"
    assert first["ticket"] == {
        "ticketId": door.ticket_id(token),
        "personName": "Åse Øvergård",
        "periodCode": "2026-fall",
        "tracks": [{"code": "salsa1", "name": "Salsa 1"}],
        "checkedInAt": "2026-10-01T16:00:00Z",
    }
    assert again["result"] == "already_checked_in"
    assert again["ticket"]["checkedInAt"] == "2026-10-01T16:00:00Z"
    assert next_day["result"] == "ok"
    assert next_day["ticket"]["checkedInAt"] == "2026-10-02T16:00:00Z"
    check_ins = door.events(door.ticket_id(token), Ticket.CheckedIn)
    assert [(e.local_date.isoformat(), e.device_id, e.staff_user_id) for e in check_ins] == [
        ("2026-10-01", "door-a", "door-staff-1"),
        ("2026-10-02", "door-a", "door-staff-1"),
    ]


def test_the_day_changes_at_midnight_in_the_periods_timezone(door: Door) -> None:
    token = door.sell()
    door.clock.moment = datetime(2026, 10, 1, 21, 59, tzinfo=UTC)  # 23:59 in Oslo
    assert door.result(token) == "ok"
    door.clock.moment = datetime(2026, 10, 1, 22, 1, tzinfo=UTC)  # 00:01 on the 2nd in Oslo

    assert door.result(token) == "ok"


# --- invalid: every kind of forgery ------------------------------------------------------------


def test_a_tampered_payload_is_invalid(door: Door) -> None:
    token = door.sell()
    header, _, signature = token.split(".")
    claims = claims_of(token)
    claims["ver"] = 7
    tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"

    assert door.scan(tampered) == {"result": "invalid"}
    assert door.result(with_bad_signature(token)) == "invalid"


def test_a_token_signed_with_another_key_is_invalid(door: Door) -> None:
    token = door.sell()

    # The same claims and even our key's kid, signed with a key that is not ours.
    assert door.result(door.sign(claims_of(token), Ed25519PrivateKey.generate())) == "invalid"


def test_alg_none_is_invalid(door: Door) -> None:
    token = door.sell()
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())

    assert door.result(f"{header}.{token.split('.')[1]}.") == "invalid"


def test_hs256_forged_with_the_public_key_as_secret_is_invalid(door: Door) -> None:
    token = door.sell()
    kid = door.services.ticket_jwks["keys"][0]["kid"]
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{token.split('.')[1]}"
    public_key = door.key.public_key()
    secrets = [
        public_pem(door.key).encode(),
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        door.services.ticket_jwks["keys"][0]["x"].encode(),
    ]
    for secret in secrets:
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert door.result(f"{signing_input}.{b64url(mac)}") == "invalid"


def test_a_token_of_another_issuer_is_invalid(door: Door) -> None:
    token = door.sell()

    assert door.result(door.sign({**claims_of(token), "iss": "someone-else"})) == "invalid"


def test_a_well_signed_token_of_an_unknown_ticket_is_invalid(door: Door) -> None:
    token = door.sell()

    forged = door.sign({**claims_of(token), "sub": str(uuid4())})

    assert door.scan(forged) == {"result": "invalid"}


@pytest.mark.parametrize("junk", ["", "not a token", "a.b.c", "é" * 5000, "." * 3])
def test_junk_is_invalid_never_an_error(door: Door, junk: str) -> None:
    assert door.scan(junk) == {"result": "invalid"}


# --- expired, superseded, revoked ---------------------------------------------------------------


def test_an_expired_token_is_expired(door: Door) -> None:
    token = door.sell()
    door.clock.moment = datetime(2027, 6, 16, 0, 0, tzinfo=UTC)  # the period ended 22:00Z

    answer = door.scan(token)

    assert answer["result"] == "expired"
    assert answer["ticket"]["ticketId"] == door.ticket_id(token)
    assert door.events(door.ticket_id(token), Ticket.CheckedIn) == []


def test_after_a_rotation_the_old_token_is_superseded_and_the_new_one_ok(door: Door) -> None:
    old = door.sell()
    ticket_id = door.ticket_id(old)

    response = door.client.post(
        f"/api/admin/tickets/{ticket_id}/rotate", json={"reason": "lost phone"}, headers=ADMIN
    )

    assert response.status_code == 200, response.text
    assert response.json()["qrTokenVersion"] == 2 and "qrToken" not in response.json()
    new = door.token()
    assert new != old
    assert door.result(old) == "superseded"
    assert door.result(new) == "ok"
    [rotated] = door.events(ticket_id, Ticket.TokenRotated)
    assert (rotated.reason, rotated.cause.actor) == ("lost phone", "admin-1")


def test_a_rotation_without_a_body_is_fine(door: Door) -> None:
    ticket_id = door.ticket_id(door.sell())

    response = door.client.post(f"/api/admin/tickets/{ticket_id}/rotate", headers=ADMIN)

    assert response.status_code == 200, response.text
    [rotated] = door.events(ticket_id, Ticket.TokenRotated)
    assert rotated.reason is None


def test_after_a_revocation_the_token_is_revoked(door: Door) -> None:
    token = door.sell()
    ticket_id = door.ticket_id(token)

    response = door.client.post(
        f"/api/admin/tickets/{ticket_id}/revoke", json={"reason": "chargeback"}, headers=ADMIN
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REVOKED"
    assert response.json()["revokedReason"] == "chargeback"
    assert door.scan(token)["result"] == "revoked"
    assert door.api.ticket("dancer-1").status_code == 404
    [revoked] = door.events(ticket_id, Ticket.Revoked)
    assert (revoked.reason, revoked.cause.actor) == ("chargeback", "admin-1")
    rotation = door.client.post(f"/api/admin/tickets/{ticket_id}/rotate", headers=ADMIN)
    assert rotation.status_code == 409 and rotation.json()["code"] == "ticket_revoked"


def test_after_a_full_refund_webhook_the_token_is_revoked(door: Door) -> None:
    token = door.sell(intent="pi_refund_me")
    [covered] = door.services.store.get(Ticket, UUID(door.ticket_id(token))).registrations

    response = door.api.webhook(charge_refunded("pi_refund_me", 150000, 150000))

    assert response.status_code == 200 and response.json() == {"received": True}
    assert door.result(token) == "revoked"
    order = door.client.get(f"/api/orders/{covered.order_id}", headers=bearer("dancer-1")).json()
    assert order["status"] == "REFUNDED"
    assert [r["status"] for r in order["registrations"]] == ["CANCELLED"]
    assert door.api.ticket("dancer-1").status_code == 404


def test_a_partial_refund_changes_nothing_and_alerts_an_admin(door: Door) -> None:
    token = door.sell(intent="pi_partial")

    door.api.webhook(charge_refunded("pi_partial", 150000, 50000))

    assert door.result(token) == "ok"
    alerts = admin_alerts(door.client, door.services)
    assert [a["kind"] for a in alerts] == ["partial_refund"]


def test_a_refund_delivered_twice_is_applied_once(door: Door) -> None:
    token = door.sell(intent="pi_twice")
    refund = charge_refunded("pi_twice", 150000, 150000)

    assert door.api.webhook(refund).status_code == 200
    assert door.api.webhook(refund).status_code == 200

    revocations = door.events(door.ticket_id(token), Ticket.Revoked)
    refunds = [n for n in door.services.store.notifications() if n.topic == Order.Refunded.TOPIC]
    assert len(revocations) == len(refunds) == 1


# --- scan ids ---------------------------------------------------------------------------------


def test_the_same_scan_id_twice_records_one_check_in_and_answers_the_same(door: Door) -> None:
    token = door.sell()
    first = door.scan(token, scanId="door-a:0001")
    door.clock.moment += timedelta(minutes=3)

    again = door.scan(token, scanId="door-a:0001")

    assert first == again and first["result"] == "ok"
    assert len(door.events(door.ticket_id(token), Ticket.CheckedIn)) == 1
    scans = [n for n in door.services.store.notifications() if n.topic == Scan.Answered.TOPIC]
    assert len(scans) == 1
    assert door.result(token, scanId="door-a:0002") == "already_checked_in"


def test_a_scan_id_reused_for_another_token_is_a_conflict(door: Door) -> None:
    door.scan(door.sell("dancer-1"), scanId="door-a:0001")
    other = door.sell("dancer-2")

    response = door.client.post(
        "/api/checkin/scan", json={"token": other, "scanId": "door-a:0001"}, headers=STAFF
    )

    assert response.status_code == 409
    assert response.json()["code"] == "scan_id_reused"
    assert response.headers["content-type"].startswith("application/problem+json")


# --- who may scan, rotate, revoke ---------------------------------------------------------------


def test_only_staff_and_admins_may_scan(door: Door) -> None:
    token = door.sell()
    post = door.client.post

    anonymous = post("/api/checkin/scan", json={"token": token})
    participant = post("/api/checkin/scan", json={"token": token}, headers=bearer("dancer-1"))

    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    assert participant.status_code == 403 and participant.json()["code"] == "forbidden"
    assert door.events(door.ticket_id(token), Ticket.CheckedIn) == []
    assert door.result(token, headers=bearer("admin-2", "admin")) == "ok"
    assert door.result(token) == "already_checked_in"


def test_only_admins_rotate_and_revoke(door: Door) -> None:
    ticket_id = door.ticket_id(door.sell())
    post = door.client.post

    for action, body in (("rotate", None), ("revoke", {"reason": "x"})):
        path = f"/api/admin/tickets/{ticket_id}/{action}"
        assert post(path, json=body).status_code == 401
        assert post(path, json=body, headers=STAFF).status_code == 403
        assert post(path, json=body, headers=bearer("dancer-1")).status_code == 403
        missing = post(f"/api/admin/tickets/{uuid4()}/{action}", json=body, headers=ADMIN)
        assert missing.status_code == 404 and missing.json()["code"] == "ticket_not_found"


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}, {"reason": "x" * 501}]
)
def test_a_revocation_needs_a_reason(door: Door, body: dict[str, Any]) -> None:
    ticket_id = door.ticket_id(door.sell())

    response = door.client.post(f"/api/admin/tickets/{ticket_id}/revoke", json=body, headers=ADMIN)

    assert response.status_code in (400, 422), response.text
    assert door.events(ticket_id, Ticket.Revoked) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": 7},
        {"token": "x", "deviceId": ""},
        {"token": "x", "scanId": "\n"},
        {"token": "x", "other": 1},
    ],
)
def test_a_malformed_scan_request_is_a_4xx(door: Door, body: dict[str, Any]) -> None:
    response = door.client.post("/api/checkin/scan", json=body, headers=STAFF)

    assert response.status_code in (400, 422), response.text


# --- counted and logged, never the token --------------------------------------------------------


def test_failed_scans_are_counted_for_prometheus_and_logged_without_the_token(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    token = door.sell()
    tampered = with_bad_signature(token)

    def invalid_count() -> float:
        for line in door.client.get("/metrics").text.splitlines():
            if line.startswith('tickets_scans_total{result="invalid"}'):
                return float(line.split()[-1])
        return 0.0

    before = invalid_count()
    with caplog.at_level(logging.INFO):
        door.scan(tampered)
        door.scan(token)

    assert invalid_count() == before + 1
    [failed] = [r for r in caplog.records if r.getMessage() == "scan failed: invalid"]
    assert failed.__dict__["device_id"] == "door-a"
    assert failed.__dict__["staff_user_id"] == "door-staff-1"
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert token not in text and tampered not in text and token.split(".")[2] not in text


# --- offline verification: the JWKS, retired keys, the example ---------------------------------


def test_the_jwks_publishes_the_public_key_door_devices_verify_with(door: Door) -> None:
    response = door.client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    [key] = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key  # never the private part
    token = door.sell()
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    claims = jwt.decode(
        token,
        jwt.PyJWK(key),
        algorithms=["EdDSA"],
        issuer="salsanor-tickets",
        options={"verify_exp": False},
    )
    assert claims["sub"] == door.ticket_id(token)


def test_with_hs256_the_jwks_is_empty(database_url: str) -> None:
    services = door_services(database_url, SettableClock())
    with TestClient(create_app(services)) as client:
        assert client.get("/.well-known/jwks.json").json() == {"keys": []}


def test_a_retired_key_still_verifies_its_tokens_until_they_are_rotated(
    door: Door, database_url: str
) -> None:
    old_token = door.sell()
    new_key = Ed25519PrivateKey.generate()
    # The operator rolls the key: the old one's public half stays listed, retired.
    rolled = door_services(
        database_url,
        door.clock,
        TICKET_JWT_PRIVATE_KEY=ed25519_pem(new_key),
        TICKET_JWT_RETIRED_PUBLIC_KEYS=public_pem(door.key)
        + public_pem(Ed25519PrivateKey.generate()),
    )
    with TestClient(create_app(rolled)) as client:
        jwks = client.get("/.well-known/jwks.json").json()
        old_kid = jwt.get_unverified_header(old_token)["kid"]
        assert [k["kid"] for k in jwks["keys"]][1] == old_kid and len(jwks["keys"]) == 3

        answer = client.post("/api/checkin/scan", json={"token": old_token}, headers=STAFF).json()
        assert answer["result"] == "ok"

        # Served again, the ticket gets a token of the new key, and the old one is superseded.
        served = Api(client).ticket("dancer-1").json()
        assert jwt.get_unverified_header(served["qrToken"])["kid"] == jwks["keys"][0]["kid"]
        superseded = client.post("/api/checkin/scan", json={"token": old_token}, headers=STAFF)
        assert superseded.json()["result"] == "superseded"


def test_the_offline_example_verifies_a_token_with_only_the_jwks(
    door: Door, tmp_path: Path
) -> None:
    token = door.sell()
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(door.client.get("/.well-known/jwks.json").text)
    # The example judges expiry by the device's real clock: times around the real now.
    now = int(datetime.now(UTC).timestamp())
    claims = {**claims_of(token), "exp": now + 3600}

    def offline(scanned: str) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "offline_scan.py"),
                "--jwks",
                str(jwks_file),
                "-",
            ],
            input=scanned,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.returncode, json.loads(done.stdout)

    code, answer = offline(door.sign(claims))
    assert code == 0 and answer["result"] == "genuine"
    assert answer["ticket"]["ticketId"] == door.ticket_id(token)
    forgeries = [
        door.sign(claims, Ed25519PrivateKey.generate()),
        door.sign({**claims, "iss": "someone-else"}),
        f"{b64url(json.dumps({'alg': 'none'}).encode())}.{token.split('.')[1]}.",
        with_bad_signature(token),
    ]
    for forged in forgeries:
        code, answer = offline(forged)
        assert code == 1 and answer["result"] == "invalid", forged
    code, answer = offline(door.sign({**claims, "exp": now - 3600}))
    assert code == 1 and answer["result"] == "expired"
