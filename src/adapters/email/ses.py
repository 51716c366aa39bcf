"""The SES mailer: boto3 SESv2 raw email, region and endpoint from configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from adapters.email.mime import wire_form
from application.emails.ports import EmailMessage, PermanentEmailError, TemporaryEmailError

# SES will never send these as they are; anything else (throttling, 5xx, a network failure,
# our credentials) may succeed later.
PERMANENT_CODES = frozenset(
    {"MessageRejected", "SendingPaused", "AccountSuspended", "MailFromDomainNotVerifiedException"}
)


@dataclass(frozen=True)
class SesConfig:
    sender: str
    region: str
    endpoint_url: str | None = None


class SesMailer:
    def __init__(self, config: SesConfig) -> None:
        self._config = config
        # One client, built once: it is thread-safe and keeps its connections.
        self._client: Any = boto3.client(
            "sesv2",
            region_name=config.region,
            endpoint_url=config.endpoint_url,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def send(self, message: EmailMessage) -> str:
        raw = wire_form(message, self._config.sender).data
        try:
            response = self._client.send_email(
                FromEmailAddress=self._config.sender,
                Destination={"ToAddresses": [message.to]},
                Content={"Raw": {"Data": raw}},
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in PERMANENT_CODES:
                raise PermanentEmailError(f"SES refused the email ({code})") from None
            raise TemporaryEmailError(f"SES failed ({code or 'unknown error'})") from None
        except BotoCoreError as error:
            raise TemporaryEmailError(f"SES unreachable ({type(error).__name__})") from None
        return str(response["MessageId"])
