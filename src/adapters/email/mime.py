"""Ticket emails as RFC 5322 bytes: text and HTML alternatives, inline images, attachments."""

from __future__ import annotations

import email.policy
import uuid
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid

from application.emails.ports import EmailMessage, WireForm


def mime_message(message: EmailMessage, sender: str) -> MimeMessage:
    """The MIME tree mail clients expect: mixed(alternative(text, related(html, images)), pdf)."""
    mime = MimeMessage(policy=email.policy.SMTP)
    mime["From"] = sender
    mime["To"] = message.to
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = make_msgid(domain=_domain_of(sender))
    mime.set_content(message.text, cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", cte="quoted-printable")
    html_part = next(part for part in mime.iter_parts() if part.get_content_subtype() == "html")
    for image in message.inline_images:
        maintype, _, subtype = image.mime_type.partition("/")
        html_part.add_related(
            image.data, maintype=maintype, subtype=subtype, cid=f"<{image.content_id}>"
        )
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        mime.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    if message.language:
        # RFC 3282: the language it is written in. Set last: set_content and the parts added
        # after it clear the top-level Content-* headers.
        mime["Content-Language"] = message.language
    for part in mime.walk():
        if part.is_multipart():
            # Chosen here, the generator need not search the whole message for a string that
            # no line holds (a tenth of writing it). "=" never starts a quoted-printable or
            # base64 line's pair of them, and 128 random bits never meet by chance.
            part.set_boundary(f"=={uuid.uuid4().hex}==")
    return mime


def message_bytes(mime: MimeMessage) -> bytes:
    return mime.as_bytes(policy=email.policy.SMTP)


def wire_form(message: EmailMessage, sender: str) -> WireForm:
    """The email as it is sent from ``sender``: made ahead, or made now."""
    if message.wire is not None and message.wire.sender == sender:
        return message.wire
    mime = mime_message(message, sender)
    return WireForm(sender, message_id_of(mime), message_bytes(mime))


def message_id_of(mime: MimeMessage) -> str:
    return str(mime["Message-ID"]).strip("<>")


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"
