"""The SMTP mailer: SMTP_URL (smtp:// with STARTTLS when offered, or smtps://) and auth."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.credentials import redacted_url
from adapters.email.mime import message_id_of, mime_message, wire_form
from application.emails.ports import EmailMessage, PermanentEmailError, TemporaryEmailError


@dataclass(frozen=True)
class SmtpConfig:
    url: str = field(repr=False)  # may hold a password
    sender: str
    timeout_seconds: float = 20.0

    def __post_init__(self) -> None:
        scheme = urlsplit(self.url).scheme
        if scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {scheme}:")

    @property
    def redacted_url(self) -> str:
        return redacted_url(self.url)


class SmtpMailer:
    """One connection per email: simple, and nothing to go stale between bursts."""

    def __init__(self, config: SmtpConfig) -> None:
        parts = urlsplit(config.url)
        options = parse_qs(parts.query)
        self._config = config
        self._ssl = parts.scheme == "smtps"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (465 if self._ssl else 587 if parts.username else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._starttls = options.get("starttls", ["auto"])[0]  # auto | required | never
        self._tls_context = ssl.create_default_context()

    def send(self, message: EmailMessage) -> str:
        wire = wire_form(message, self._config.sender)
        sender, to = parseaddr(wire.sender)[1], parseaddr(message.to)[1]
        message_id = wire.message_id
        try:
            with self._connect() as smtp:
                if (sender + to).isascii():
                    smtp.sendmail(sender, [to], wire.data)
                else:  # an international address: smtplib negotiates SMTPUTF8 for it
                    mime = mime_message(message, self._config.sender)
                    message_id = message_id_of(mime)
                    smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _error_of(min(codes), "the recipient was refused") from None
        except smtplib.SMTPResponseException as error:
            raise _error_of(error.smtp_code, "the server refused the email") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryEmailError(f"SMTP failed: {type(error).__name__}") from None
        return message_id

    def _connect(self) -> smtplib.SMTP:
        timeout = self._config.timeout_seconds
        if self._ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self._host, self._port, timeout=timeout, context=self._tls_context
            )
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=timeout)
        try:
            smtp.ehlo()
            if not self._ssl and self._starttls != "never":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self._tls_context)
                    smtp.ehlo()
                elif self._starttls == "required":
                    raise TemporaryEmailError("the SMTP server does not offer STARTTLS")
            if self._user is not None:
                smtp.login(self._user, self._password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _error_of(code: int, what: str) -> Exception:
    # 4xx: try again later (greylisting, a full queue); 5xx: this email will never go through.
    if 400 <= code < 500:
        return TemporaryEmailError(f"{what} for now (SMTP {code})")
    if code in (530, 534, 535, 538):  # authentication: ours to fix, then it goes through
        return TemporaryEmailError(f"SMTP authentication failed ({code})")
    return PermanentEmailError(f"{what} (SMTP {code})")
