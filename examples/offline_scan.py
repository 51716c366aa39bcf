"""Verifies a ticket's QR token with nothing but the service's JWKS, as a door device offline.

A door device fetches ``GET /.well-known/jwks.json`` while it has a network and keeps the copy.
Offline, it can still tell a genuine ticket from a forgery: the signature (EdDSA, with a key
of the JWKS chosen by the token's ``kid``), the issuer and the expiry. What it cannot know
offline is what happened since the copy was made: a rotated, revoked or refunded ticket, or a
check-in at another door. So the answer is ``genuine`` (let in, sync the scan later with
``POST /api/checkin/scan``), ``expired`` or ``invalid``, never ``ok``.

    python examples/offline_scan.py --jwks jwks.json TOKEN
    python examples/offline_scan.py --jwks jwks.json - < token.txt

Prints one JSON object; exits 0 for a genuine token, 1 otherwise. Needs only PyJWT with its
``crypto`` extra (``pip install "pyjwt[crypto]"``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import jwt

ISSUER = "salsanor-tickets"
LEEWAY_SECONDS = 30  # the service's own: a device clock a little off still agrees with it
REQUIRED_CLAIMS = ["iss", "sub", "periodId", "personId", "iat", "exp", "nonce", "ver"]


def verify_offline(token: str, jwks: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """``{"result": "genuine" | "expired" | "invalid", ...}`` for a scanned token."""
    try:
        header = jwt.get_unverified_header(token)
        keys = {key.get("kid"): key for key in jwks.get("keys", []) if key.get("kid")}
        jwk = keys.get(header.get("kid"))
        # Only EdDSA, only a key of the JWKS: alg=none, HS256 "signed" with the public key and
        # tokens of unknown keys are all refused here.
        if jwk is None or header.get("alg") != "EdDSA" or jwk.get("alg", "EdDSA") != "EdDSA":
            return {"result": "invalid", "reason": "not signed by a key of this JWKS"}
        claims = jwt.decode(
            token,
            jwt.PyJWK(jwk, algorithm="EdDSA"),
            algorithms=["EdDSA"],
            issuer=ISSUER,
            # Expiry is judged below, to tell "expired" from "invalid"; iat as the service does.
            options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as error:
        return {"result": "invalid", "reason": type(error).__name__}
    if not isinstance(claims["exp"], int):
        return {"result": "invalid", "reason": "exp is not a number of seconds"}
    now = time.time() if now is None else now
    ticket = {"ticketId": claims["sub"], "periodId": claims["periodId"], "version": claims["ver"]}
    if claims["exp"] + LEEWAY_SECONDS <= now:
        return {"result": "expired", "ticket": ticket}
    return {"result": "genuine", "ticket": ticket}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jwks", type=Path, required=True, help="a saved copy of jwks.json")
    parser.add_argument("scanned", help="the scanned QR token, or - to read it from stdin")
    args = parser.parse_args(argv)
    scanned = sys.stdin.read() if args.scanned == "-" else args.scanned
    answer = verify_offline(scanned.strip(), json.loads(args.jwks.read_text()))
    print(json.dumps(answer))
    return 0 if answer["result"] == "genuine" else 1


if __name__ == "__main__":
    sys.exit(main())
