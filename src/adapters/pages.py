"""The service's HTML pages with jinja2: the web ticket, the door's scanner, the admins' pages.

Each page comes with its security headers: the Content-Security-Policy says what its template
may load (the ticket's inline style by nonce; the door's scripts from this service only).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from adapters.brand import Brand
from adapters.languages import SOURCE_LOCALE, Language, available_locales, jinja_environments
from adapters.qr_code import qr_svg
from adapters.ticket_text import short_id
from adapters.timetable import class_lines, no_classes_line
from adapters.tool_pages import ToolPages
from application.tickets.ports import TicketDocument

TEMPLATES: Final = Path(__file__).parent / "templates" / "pages"
# Where the door and admin pages load their scripts and styles from (served by the HTTP app).
ASSETS_PATH: Final = "/door/assets"


@dataclass(frozen=True)
class Page:
    html: str
    headers: Mapping[str, str]  # copied into each response


@dataclass(frozen=True)
class PagesConfig:
    brand: Brand  # the school's name, colours and logo, as on the PDF and in the email
    public_base_url: str  # PUBLIC_BASE_URL: where a paired phone opens the door page
    # The door's and the admins' pages: in each of these languages (DEFAULT_LOCALE when the
    # browser asks for none of them), their scripts' words read from ``scripts``.
    locales: frozenset[str] = available_locales()
    default_locale: str = "nb"
    scripts: Path | None = None


class JinjaPages:
    """Templates are compiled once per process; the pages without data are rendered once."""

    def __init__(self, config: PagesConfig) -> None:
        self._brand = config.brand
        self._base_url = config.public_base_url.rstrip("/")
        # The web ticket in each language (the holder's, or the one its switch asks for).
        # StrictUndefined: a missing field fails the test suite instead of rendering an empty
        # ticket.
        self._ticket = {
            code: env.get_template("ticket.html.j2")
            for code, env in jinja_environments(
                TEMPLATES,
                available_locales(),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            ).items()
        }
        self._logo = _logo_data_uri(config.brand)
        # The door's and the admins' pages hold no data (their scripts call the API): each is
        # rendered once a language.
        self._tools = ToolPages(
            TEMPLATES,
            values={"assets": ASSETS_PATH, "school": config.brand.school_name},
            locales=config.locales,
            default_locale=config.default_locale,
            scripts=config.scripts,
        )
        self._door = self._tool("door.html.j2", camera=True)
        self._device_admin = self._tool("admin_devices.html.j2")
        self._attendance_admin = self._tool("admin_attendance.html.j2")

    def _tool(self, template: str, *, camera: bool = False) -> dict[str, Page]:
        headers = _tool_headers(camera=camera)
        return {code: Page(html, headers) for code, html in self._tools.render(template).items()}

    def ticket(self, document: TicketDocument, lang: str | None = None) -> Page:
        """The web ticket, with a fresh CSP nonce for its inline style: in the holder's
        language, or in ``lang`` (``?lang=``) when it is one of the languages offered."""
        nonce = secrets.token_urlsafe(18)
        code = next((c for c in (lang, document.locale) if c in self._ticket), SOURCE_LOCALE)
        language = Language(code)
        pdf = urlsplit(document.pdf_url)
        view = urlsplit(document.view_url)
        html = self._ticket[code].render(
            document=document,
            brand=self._brand,
            nonce=nonce,
            logo=self._logo,
            instructions=self._brand.instructions_in(language),
            # The same signed link (its key is the ticket), in each other language.
            switch=[
                (other, Language(other).name, f"{view.path}?{view.query}&lang={other}")
                for other in sorted(self._ticket)
                if other != code
            ],
            short_id=short_id(document),
            # segno's own markup: path data and a fixed title, no text of the token.
            qr=Markup(  # noqa: S704
                qr_svg(document.token, scale=4, title=language.gettext("Your ticket's QR code"))
            ),
            # Relative: the page works whatever host it was reached by (PUBLIC_BASE_URL or not).
            pdf_link=f"{pdf.path}?{pdf.query}",
            timetable=class_lines(document, language),
            no_classes=no_classes_line(document, language),
            # The same signed link's calendar: a phone may subscribe to it.
            calendar_link=f"{view.path}/calendar.ics?{view.query}",
        )
        return Page(html, {**_ticket_headers(nonce), "Content-Language": code})

    @property
    def tool_locales(self) -> frozenset[str]:
        """The languages the door's and admins' pages are in."""
        return self._tools.locales

    @property
    def default_locale(self) -> str:
        return self._tools.default_locale

    def door(self, locale: str | None = None) -> Page:
        return self._door[locale or self._tools.default_locale]

    def device_admin(self, locale: str | None = None) -> Page:
        return self._device_admin[locale or self._tools.default_locale]

    def attendance_admin(self, locale: str | None = None) -> Page:
        return self._attendance_admin[locale or self._tools.default_locale]

    def pairing_url(self, pairing_code: str) -> str:
        """The door page's link that pairs the phone opening it (shown as a QR code)."""
        return f"{self._base_url}/door?pair={pairing_code}"


def _logo_data_uri(brand: Brand) -> str | None:
    mime_type = brand.logo_type()
    if brand.logo_path is None or mime_type is None:
        return None
    return f"data:{mime_type};base64,{base64.b64encode(brand.logo_path.read_bytes()).decode()}"


def _ticket_headers(nonce: str) -> dict[str, str]:
    return {
        # The key in the URL is the ticket: keep it out of caches and of Referer headers.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
    }


def _tool_headers(*, camera: bool = False) -> dict[str, str]:
    # No inline script, no CDN: everything the pages load comes from this service.
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
            " media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none';"
            " frame-ancestors 'none'"
        ),
        "Permissions-Policy": "camera=(self)" if camera else "camera=()",
        # The pairing code is in the door page's first URL: keep it out of caches and Referers.
        "Cache-Control": "no-store",
        # In the language the device chose (the cookie), else the browser's.
        "Vary": "Accept-Language, Cookie",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
    }
