"""Ticket documents: what the PDF, the web view and the email show, with the current token."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import astuple, dataclass
from uuid import UUID

from application.tickets.desk import ServedTicket, TicketDesk
from application.tickets.ports import PdfCache, TicketDocument, TicketRenderer, TrackClasses
from domain.person import Person
from domain.ticket import Ticket


def document_of(served: ServedTicket, default_locale: str) -> TicketDocument:
    """``default_locale``: the holder's language when their profile records none."""
    ticket, period = served.ticket, served.period
    if served.view_url is None or served.pdf_url is None:
        raise RuntimeError("ticket documents need a TicketDesk built with TicketLinks")
    return TicketDocument(
        ticket_id=ticket.id,
        token=served.token,
        token_version=served.token_version,
        person_name=served.person.name,
        period_code=period.code,
        period_name=period.name,
        start_date=period.start_date,
        end_date=period.end_date,
        timezone=period.timezone,
        location=period.location,
        tracks=tuple(name for _, name in period.track_names(ticket.track_codes())),
        schedule=tuple(
            TrackClasses(track.code, track.name, track.schedule)
            for track in (period.track(code) for code in ticket.track_codes())
        )
        if period.has_schedule
        else (),
        skip_dates=period.skip_dates if period.has_schedule else (),
        schedule_sequence=period.schedule_sequence,
        view_url=served.view_url,
        pdf_url=served.pdf_url,
        locale=served.person.locale or default_locale,
    )


class TicketDocuments:
    """Builds documents through the TicketDesk, so that every form serves a token that scans
    (a hash mismatch is repaired there, by TokenRepair, whichever form asked first).
    """

    def __init__(
        self,
        desk: TicketDesk,
        renderer: TicketRenderer,
        cache: PdfCache,
        *,
        kept: int = 256,
        default_locale: str = "nb",
    ) -> None:
        self._desk = desk
        self._default_locale = default_locale  # DEFAULT_LOCALE: for profiles recording none
        self._renderer = renderer
        self._cache = cache
        # The latest PDFs also in this process (~40 KB each): a download served again reads no
        # row. Safe to keep: a key's bytes never change (anything shown makes a new key).
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()  # the HTTP routes call from several threads

    def locale_of(self, person: Person) -> str:
        """The person's language: their profile's, else DEFAULT_LOCALE."""
        return person.locale or self._default_locale

    def for_ticket(self, ticket: Ticket, person: Person) -> TicketDocument:
        """The document of an active ticket the caller has read, with its person, without a
        caller check: for the worker's emails (it checks the ticket is active itself)."""
        return self._document(self._desk.served(ticket, person))

    def for_holder(self, ticket_id: UUID, *, user_id: str, is_admin: bool) -> TicketDocument:
        """The ticket's person or an admin; anyone else: NotFound ``ticket_not_found``."""
        return self._document(self._desk.for_holder(ticket_id, user_id=user_id, is_admin=is_admin))

    def for_view_key(self, ticket_id: UUID, key: str) -> TicketDocument:
        """The holder of the signed link; a wrong or outdated key: NotFound ``ticket_not_found``."""
        return self._document(self._desk.for_view_key(ticket_id, key))

    def _document(self, served: ServedTicket) -> TicketDocument:
        return document_of(served, self._default_locale)

    def rendered_pdf(self, document: TicketDocument) -> RenderedPdf:
        """The PDF from the cache, rendered and kept on a miss: the same bytes for the email and
        every download while nothing it shows changes (a new token version, a renamed person or
        period, another branding all make a new key)."""
        cached = self.cached_pdf(document)
        if cached is not None:
            return cached
        return self.keep_pdf(document, self._renderer.render_pdf(document))

    def cached_pdf(self, document: TicketDocument) -> RenderedPdf | None:
        """The PDF of the document if it was rendered before (by any process)."""
        key = pdf_key(document, self._renderer.style)
        with self._lock:
            pdf = self._recent.get(key)
            if pdf is not None:
                self._recent.move_to_end(key)
                return RenderedPdf(pdf, key)
        pdf = self._cache.get(key)
        return self._keep_here(key, pdf) if pdf is not None else None

    def keep_pdf(self, document: TicketDocument, pdf: bytes) -> RenderedPdf:
        """Keeps a PDF rendered of the document (here, or with its email by the email content)
        for every download and email after."""
        key = pdf_key(document, self._renderer.style)
        self._cache.put(document.ticket_id, key, pdf)
        return self._keep_here(key, pdf)

    def _keep_here(self, key: str, pdf: bytes) -> RenderedPdf:
        with self._lock:
            self._recent[key] = pdf
            if len(self._recent) > self._kept:
                self._recent.popitem(last=False)
        return RenderedPdf(pdf, key)


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    digest: str  # of everything the PDF shows: an ETag


def pdf_key(document: TicketDocument, style: str) -> str:
    shown = repr((astuple(document), style)).encode()
    return hashlib.sha256(shown).hexdigest()
