"""The file mailer: one .eml per email in an outbox folder, openable in any mail client."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from adapters.email.mime import wire_form
from application.emails.ports import EmailMessage, TemporaryEmailError


@dataclass(frozen=True)
class FileMailerConfig:
    outbox_dir: Path
    sender: str


class FileMailer:
    """For development and small setups: nothing is sent; the outbox is the record."""

    def __init__(self, config: FileMailerConfig) -> None:
        self._config = config

    def send(self, message: EmailMessage) -> str:
        wire = wire_form(message, self._config.sender)
        message_id = wire.message_id
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{message_id.partition('@')[0]}.eml"
        try:
            self._config.outbox_dir.mkdir(parents=True, exist_ok=True)
            # Written aside, then renamed: a reader of the folder never sees half an email.
            partial = self._config.outbox_dir / f".{name}.partial"
            partial.write_bytes(wire.data)
            os.replace(partial, self._config.outbox_dir / name)
        except OSError as error:
            raise TemporaryEmailError(f"cannot write to the outbox: {error.strerror}") from error
        return message_id
