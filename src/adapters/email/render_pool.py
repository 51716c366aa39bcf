"""Ticket emails rendered in processes of their own: the QR code, the PDF and the templates of
the next emails are drawn on the other cores while the worker sends the one at hand.

Rendering is pure Python (segno, reportlab) and holds the GIL: in the worker's own process it
is most of an email's time, and threads would take turns. A process pool (spawned: the worker
has threads, which a fork would copy mid-flight) is started at the first ticket email and kept.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from adapters.email.content import EmailContentConfig, JinjaEmailContent
from adapters.email.mime import wire_form
from adapters.parent_process import end_with, exit_now
from adapters.pdf_ticket import PdfTicketRenderer
from application.alerts.ports import AlertNotice
from application.emails.ports import EmailMessage, EmailReason, RevocationNotice, TicketEmail
from application.tickets.ports import TicketDocument

RENDER_NICENESS = 10


class PooledEmailContent:
    """EmailContent: ticket emails rendered by ``processes`` processes, alerts here.

    A render process renders what it is sent and nothing more: the PDF it is given (rendered
    before, for a download or an earlier email) is attached as it is; without one it renders
    the PDF there too, and returns it with the email for the caller to keep.
    """

    def __init__(
        self,
        config: EmailContentConfig,
        processes: int,
        *,
        sender: str,
        here: JinjaEmailContent,
    ) -> None:
        self._config = config
        self._sender = sender  # the mailer's: the email is made ready to send over there
        self._processes = processes
        self._here = here
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def ticket_email(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> TicketEmail:
        return self.ticket_email_soon(document, to, reason, pdf=pdf)()

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> Callable[[], TicketEmail]:
        future = self._submit(document, to, reason, pdf)

        def email() -> TicketEmail:
            try:
                return future.result()
            except BrokenProcessPool:
                self._discard_pool()  # a render process died (killed, out of memory): anew
                raise

        return email

    def alert_email(self, alert: AlertNotice, to: str) -> EmailMessage:
        return self._here.alert_email(alert, to)

    def revocation_email(self, notice: RevocationNotice, to: str) -> EmailMessage:
        return self._here.revocation_email(notice, to)  # a few lines of text: no process needed

    def close(self) -> None:
        self._discard_pool()

    def _submit(
        self, document: TicketDocument, to: str, reason: EmailReason, pdf: bytes | None
    ) -> Future[TicketEmail]:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(self._config, self._sender, os.getpid()),
                )
            return self._pool.submit(_render, document, to, reason, pdf)

    def _discard_pool(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# --- In a render process ----------------------------------------------------------------------

# Made once per render process by the pool's initializer.
_content: JinjaEmailContent | None = None
_sender = ""


def _start(config: EmailContentConfig, sender: str, worker: int) -> None:
    """Fonts, templates and the branding, prepared once per render process.

    ``worker``: the pid of the process that started it, from there: a worker killed while this
    one was still starting up is gone before ``os.getppid()`` could name it here.
    """
    global _content, _sender
    # Background work: on a busy machine the requests (and the database) go first; an idle
    # one gives these processes every core all the same.
    os.nice(RENDER_NICENESS)
    _content = JinjaEmailContent(config, PdfTicketRenderer(config.brand).render_pdf)
    _sender = sender
    # A worker killed outright shuts no pool down: its render processes would wait for ever.
    end_with(worker, exit_now)


def _render(
    document: TicketDocument, to: str, reason: EmailReason, pdf: bytes | None
) -> TicketEmail:
    """The email, and its RFC 5322 bytes (a quarter of an email's work is writing them).

    The PDF travels back once: the attachment and ``TicketEmail.pdf`` are the same bytes
    object, which pickle writes once.
    """
    assert _content is not None, "the pool's initializer prepares the content"
    email = _content.ticket_email(document, to, reason, pdf=pdf)
    message = email.message
    return replace(email, message=replace(message, wire=wire_form(message, _sender)))
