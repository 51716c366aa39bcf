"""Email content with jinja2: HTML (autoescaped, CSS inlined) and text, QR inline, PDF attached."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import css_inline
import jinja2

from adapters.brand import Brand
from adapters.calendar_file import ticket_calendar
from adapters.languages import SOURCE_LOCALE, Language, available_locales, jinja_environments
from adapters.qr_code import qr_png
from adapters.timetable import class_lines, no_classes_line
from application.alerts.ports import AlertNotice
from application.emails.ports import (
    Attachment,
    EmailKind,
    EmailMessage,
    EmailReason,
    InlineImage,
    RevocationNotice,
    TicketEmail,
)
from application.tickets.ports import TicketDocument

TEMPLATES = Path(__file__).parent.parent / "templates" / "email"
CALENDAR = "text/calendar"
# The alerts' words: the admins' catalogue, beside the door's and admin pages' (tool_pages).
PAGES_DOMAIN = "pages"


def subject(kind: EmailKind, language: Language, period: str) -> str:
    if kind is EmailKind.ROTATED:
        return language.gettext("Your new ticket for %(period)s", period=period)
    if kind is EmailKind.RESEND:
        return language.gettext("Your ticket for %(period)s (sent again)", period=period)
    return language.gettext("Your ticket for %(period)s", period=period)


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
        # The ticket emails, one environment a language (HTML escaped, text not: by extension).
        self._in = jinja_environments(
            TEMPLATES,
            available_locales(),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

    def ticket_email(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> TicketEmail:
        """``pdf``: the document's PDF when it was rendered already (else it is rendered)."""
        if pdf is None:
            pdf = self._render_pdf(document)
        kind = reason.kind
        # A language without a catalogue (removed since the profile chose it): the source's.
        code = document.locale if document.locale in self._in else SOURCE_LOCALE
        environment, language = self._in[code], Language(code)
        qr_cid = f"qr-{document.ticket_id}-v{document.token_version}@tickets"
        calendar_file = f"{document.period_code}.ics"
        brand = self._config.brand
        values = {
            "ticket": document,
            "reason": kind.value,
            "school": brand.school_name,
            "colour": brand.primary_color,
            "reply_to": self._config.reply_to,
            "door_instructions": brand.instructions_in(language),
            "qr_cid": qr_cid,
            "timetable": class_lines(document, language),
            "no_classes": no_classes_line(document, language),
            "calendar_file": calendar_file if document.has_schedule else None,
        }
        html = environment.get_template("ticket.html.j2").render(values)
        message = EmailMessage(
            to=to,
            subject=subject(kind, language, document.period_name),
            text=environment.get_template("ticket.txt.j2").render(values),
            html=self._inliner.inline(html),
            inline_images=(InlineImage(qr_cid, qr_png(document.token)),),
            attachments=(
                Attachment(f"ticket-{document.period_code}.pdf", pdf),
                # With a timetable, the classes for the phone's calendar, as on the web page.
                *(
                    (Attachment(calendar_file, self._calendar(document), CALENDAR),)
                    if document.has_schedule
                    else ()
                ),
            ),
            reply_to=self._config.reply_to,
            language=code,
        )
        return TicketEmail(message, pdf)

    def _calendar(self, document: TicketDocument) -> bytes:
        return ticket_calendar(document, self._config.brand.school_name)

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> Callable[[], TicketEmail]:
        email = self.ticket_email(document, to, reason, pdf=pdf)  # here and now: nowhere else
        return lambda: email

    def revocation_email(self, notice: RevocationNotice, to: str) -> EmailMessage:
        """No QR code, no PDF, no link: nothing that looks as if it still worked."""
        code = notice.locale if notice.locale in self._in else SOURCE_LOCALE
        environment, language = self._in[code], Language(code)
        brand = self._config.brand
        title = language.gettext(
            "Your ticket for %(period)s no longer works", period=notice.period_name
        )
        values = {
            "notice": notice,
            "subject": title,
            "school": brand.school_name,
            "colour": brand.primary_color,
            "reply_to": self._config.reply_to,
        }
        html = environment.get_template("revoked.html.j2").render(values)
        return EmailMessage(
            to=to,
            subject=title,
            text=environment.get_template("revoked.txt.j2").render(values),
            html=self._inliner.inline(html),
            reply_to=self._config.reply_to,
            language=code,
        )

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
