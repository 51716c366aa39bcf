"""The QR tokens' keys: TICKET_JWT_SECRET, TICKET_JWT_PRIVATE_KEY and the retired public keys."""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.credentials import long_enough
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from entrypoints.environment import Problems, collect

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.DOTALL)


def token_config(env: Mapping[str, str]) -> QrTokenConfig:
    with collect() as problems:
        secret = env.get("TICKET_JWT_SECRET", "").encode()
        if not secret:
            problems.add("TICKET_JWT_SECRET is required")
        else:
            problems.read(lambda: long_enough(secret, "TICKET_JWT_SECRET"))
        private_keys = _pems(env, "TICKET_JWT_PRIVATE_KEY", problems)
        if len(private_keys) > 1:
            problems.add("TICKET_JWT_PRIVATE_KEY must hold one PEM key")
        retired = _pems(env, "TICKET_JWT_RETIRED_PUBLIC_KEYS", problems)
    config = QrTokenConfig(
        secret=secret,
        private_key_pem=private_keys[0] if private_keys else None,
        retired_public_keys_pem=retired,
    )
    with collect() as problems:
        # The keys are loaded by the signer: built now, it names the variables at start-up
        # rather than failing on the first token.
        problems.read(lambda: JwtTokenSigner(config), "TICKET_JWT_* (QR token keys)")
    return config


def _pems(env: Mapping[str, str], name: str, problems: Problems) -> tuple[bytes, ...]:
    """The PEM blocks of a variable; newlines may be written as ``\\n`` (one-line env files)."""
    text = env.get(name, "").replace("\\n", "\n")
    blocks = tuple(block.encode() + b"\n" for block in _PEM_BLOCK.findall(text))
    if text.strip() and not blocks:
        problems.add(f"{name} is set but holds no PEM block")
    return blocks
