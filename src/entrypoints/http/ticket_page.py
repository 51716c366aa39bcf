"""The web ticket view: a jinja2 template (autoescaped, strict) and its security headers."""

from __future__ import annotations

import base64
import secrets
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from adapters.brand import Brand
from adapters.pdf_ticket import date_range, short_id
from adapters.qr_code import qr_svg
from application.ports import TicketDocument

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Environment:
    # Built on first use, not at import; StrictUndefined: a missing field fails the test suite
    # instead of rendering an empty ticket.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _logo_data_uri(brand: Brand) -> str | None:
    mime_type = brand.logo_type()
    if brand.logo_path is None or mime_type is None:
        return None
    return f"data:{mime_type};base64,{base64.b64encode(brand.logo_path.read_bytes()).decode()}"


def render_ticket_page(document: TicketDocument, brand: Brand) -> tuple[str, dict[str, str]]:
    """The page's HTML and its headers (a fresh CSP nonce per response)."""
    nonce = secrets.token_urlsafe(18)
    pdf = urlsplit(document.pdf_url)
    html = (
        _environment()
        .get_template("ticket.html")
        .render(
            document=document,
            brand=brand,
            nonce=nonce,
            logo=_logo_data_uri(brand),
            dates=date_range(document.start_date, document.end_date),
            valid_until=date_range(document.end_date, document.end_date),
            short_id=short_id(document),
            # segno's own markup: path data and a fixed title, no text of the token.
            qr=Markup(qr_svg(document.token, scale=4)),  # noqa: S704
            # Relative: the page works whatever host it was reached by (PUBLIC_BASE_URL or not).
            pdf_link=f"{pdf.path}?{pdf.query}",
        )
    )
    return html, page_headers(nonce)


def page_headers(nonce: str) -> dict[str, str]:
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
