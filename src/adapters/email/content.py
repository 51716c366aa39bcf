"""Email content with jinja2: HTML (autoescaped, CSS inlined) and text, QR inline, PDF attached."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import css_inline
import jinja2

from adapters.brand import Brand
from adapters.languages import jinja_environments
from adapters.qr_code import qr_png
from adapters.ticket_text import long_date
from application.alerts.ports import AlertNotice
from application.emails.ports import (
    Attachment,
    EmailKind,
    EmailMessage,
    EmailReason,
    InlineImage,
    TicketEmail,
)
from application.tickets.ports import TicketDocument

TEMPLATES = Path(__file__).parent.parent / "templates" / "email"
# The alerts' words: the admins' catalogue, beside the door's and admin pages' (tool_pages).
PAGES_DOMAIN = "pages"

SUBJECTS = {
    EmailKind.ISSUED: "Your ticket for {period}",
    EmailKind.ROTATED: "Your new ticket for {period}",
    EmailKind.RESEND: "Your ticket for {period} (sent again)",
}


@dataclass(frozen=True)
class EmailContentConfig:
    brand: Brand  # the school's name, colour and door instructions, as on the PDF
    reply_to: str | None
    alert_locale: str = "nb"  # DEFAULT_LOCALE: the admins' alerts are in the school's language


class JinjaEmailContent:
    """Templates are loaded once; rendering them is pure."""

    def __init__(
        self, config: EmailContentConfig, render_pdf: Callable[[TicketDocument], bytes]
    ) -> None:
        self._config = config
        # A TicketRenderer's (the one the downloads' PDFs are rendered with): for a PDF not
        # rendered before, which the caller then keeps.
        self._render_pdf = render_pdf
        loader = jinja2.FileSystemLoader(TEMPLATES)
        self._html = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
            undefined=jinja2.StrictUndefined,
        )
        # Text bodies are not HTML: escaping would show "&amp;" to the reader.
        self._text = jinja2.Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 (plain-text email bodies)
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        for environment in (self._html, self._text):
            environment.filters["long_date"] = long_date
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

    def ticket_email(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> TicketEmail:
        """``pdf``: the document's PDF when it was rendered already (else it is rendered)."""
        if pdf is None:
            pdf = self._render_pdf(document)
        kind = reason.kind
        qr_cid = f"qr-{document.ticket_id}-v{document.token_version}@tickets"
        brand = self._config.brand
        values = {
            "ticket": document,
            "reason": kind.value,
            "school": brand.school_name,
            "colour": brand.primary_color,
            "reply_to": self._config.reply_to,
            "door_instructions": brand.instructions,
            "qr_cid": qr_cid,
        }
        html = self._html.get_template("ticket.html.j2").render(values)
        message = EmailMessage(
            to=to,
            subject=SUBJECTS[kind].format(period=document.period_name),
            text=self._text.get_template("ticket.txt.j2").render(values),
            html=self._inliner.inline(html),
            inline_images=(InlineImage(qr_cid, qr_png(document.token)),),
            attachments=(Attachment(f"ticket-{document.period_code}.pdf", pdf),),
            reply_to=self._config.reply_to,
        )
        return TicketEmail(message, pdf)

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> Callable[[], TicketEmail]:
        email = self.ticket_email(document, to, reason, pdf=pdf)  # here and now: nowhere else
        return lambda: email

    def alert_email(self, alert: AlertNotice, to: str) -> EmailMessage:
        """In ``alert_locale``, with the words of the ``pages`` catalogue (the admins' own)."""
        values = {"alert": alert, "school": self._config.brand.school_name}
        alerts = _alert_environment(self._config.alert_locale)
        html = alerts.get_template("alert.html.j2").render(values)
        return EmailMessage(
            to=to,
            subject=alerts.get_template("alert.subject.j2").render(values).strip(),
            text=alerts.get_template("alert.txt.j2").render(values),
            html=self._inliner.inline(html),
        )


@functools.cache
def _alert_environment(locale: str) -> jinja2.Environment:
    # HTML escaped, text and subject not (select_autoescape: by the templates' extensions).
    return jinja_environments(
        TEMPLATES,
        frozenset({locale}),
        domain=PAGES_DOMAIN,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )[locale]
