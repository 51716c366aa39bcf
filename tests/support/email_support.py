"""Real things for the email tests: outbox reading, QR decoding, local SMTP and SES servers."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

from tests.support.service import free_port


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def outbox(folder: Path) -> list[EmailMessage]:
    """The .eml files of a file-backend outbox, oldest first."""
    return [parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def part(message: EmailMessage, content_type: str) -> EmailMessage:
    found = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(found) == 1, f"{len(found)} {content_type} parts"
    assert isinstance(found[0], EmailMessage)
    return found[0]


def qr_of_png(data: bytes) -> str:
    # QR codes only: zbar's linear decoders now and then read a stripe of modules as a barcode.
    codes = decode(Image.open(io.BytesIO(data)), symbols=[ZBarSymbol.QRCODE])
    assert len(codes) == 1, f"{len(codes)} QR codes in the image"
    return str(codes[0].data.decode())


def qr_of_pdf(data: bytes) -> str:
    """Rasterizes the PDF as a printer would (pdftoppm, 150 dpi) and decodes its QR code."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "ticket.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", str(pdf), f"{folder}/page"], check=True, timeout=60
        )
        pages = sorted(Path(folder).glob("page*.png"))
        assert pages, "pdftoppm made no page"
        return qr_of_png(pages[0].read_bytes())


def qr_token_of_email(message: EmailMessage) -> str:
    """The inline QR image's token, after checking the HTML refers to it by its Content-ID."""
    png = part(message, "image/png")
    content_id = str(png["Content-ID"]).strip("<>")
    html = part(message, "text/html").get_content()
    assert f'src="cid:{content_id}"' in html
    return qr_of_png(png.get_content())


def pdf_of_email(message: EmailMessage) -> bytes:
    pdf = part(message, "application/pdf")
    assert pdf.get_content_disposition() == "attachment"
    data: bytes = pdf.get_content()
    return data


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- SMTP: aiosmtpd on 127.0.0.1 -----------------------------------------------------------


@dataclass
class SmtpServer:
    """A local SMTP server: keeps each accepted email; may answer 451 to the first ``refuse``
    DATA commands (an outage), or be slow (``delay`` seconds a message)."""

    port: int = 0
    refuse: int = 0
    delay: float = 0.0
    user: str | None = None
    password: str | None = None
    received: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Temporary failure, try again later"
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: one message at a time, slowly
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        with self.lock:
            self.received.append((envelope, parse(content)))
        return "250 2.0.0 OK queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.user, self.password)
        return AuthResult(success=ok)

    @property
    def url(self) -> str:
        credentials = f"{self.user}:{self.password}@" if self.user else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}?starttls=never"

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for envelope, _ in self.received for rcpt in envelope.rcpt_tos]


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield server
    controller.stop()


# --- SES: moto's server on 127.0.0.1 -------------------------------------------------------

SES_SENDER = "tickets@salsanor.no"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "eu-north-1",
}


@dataclass
class SesServer:
    url: str

    def raw_messages(self) -> list[dict[str, Any]]:
        data_url = f"{self.url}/moto-api/data.json"
        with urllib.request.urlopen(data_url, timeout=10) as response:  # noqa: S310 (http)
            data = json.load(response)
        messages: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
        return messages


@contextmanager
def running_ses_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SesServer]:
    """``python -m moto.server`` on a free local port, with the sender's identity created."""
    import boto3

    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)  # boto3 reads credentials from the environment itself
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **AWS_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):  # noqa: S310
                    return True
            except OSError:
                return False

        wait_for(up, 30, "moto's server")
        client = boto3.client("sesv2", region_name="eu-north-1", endpoint_url=url)
        client.create_email_identity(EmailIdentity=SES_SENDER)
        yield SesServer(url)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


# --- A chat webhook (Slack-compatible) on 127.0.0.1 ----------------------------------------


@dataclass
class WebhookServer:
    """Keeps every JSON body POSTed to it; answers 500 to the first ``fail`` requests."""

    fail: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    url: str = ""


@contextmanager
def running_webhook_server() -> Iterator[WebhookServer]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = WebhookServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.attempts += 1
            if state.attempts <= state.fail:
                self.send_response(500)
                self.end_headers()
                return
            state.bodies.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
