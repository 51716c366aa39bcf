"""The school's brand on tickets (PDF, web page, email): name, colours, logo, door instructions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from adapters.languages import Language

HEX_COLOR: Final = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _(message: str) -> str:
    """Marks a message for ``make translations``; it is translated where it is shown."""
    return message


DEFAULT_INSTRUCTIONS: Final = _(
    "Show this QR code at the door, on your phone or printed. "
    "It is personal: it checks you in once a day, so please do not share it."
)


@dataclass(frozen=True)
class Brand:
    """Defaults give a clean ticket without any configuration."""

    school_name: str = "SalsaNor"
    primary_color: str = "#B3123B"  # header band, headings
    accent_color: str = "#1F2A44"  # body text
    logo_path: Path | None = None  # PNG or JPEG, drawn in the header
    instructions: str = DEFAULT_INSTRUCTIONS

    def __post_init__(self) -> None:
        checked_color("primary_color", self.primary_color)
        checked_color("accent_color", self.accent_color)
        if not self.school_name.strip():
            raise ValueError("school_name must not be empty")
        if self.logo_path is not None:
            self.logo_type()  # fails at start-up, not at the first ticket

    def instructions_in(self, language: Language) -> str:
        """The door instructions in ``language`` when they are the default text; a school's
        own text (TICKET_INSTRUCTIONS) stays as the school wrote it."""
        if self.instructions == DEFAULT_INSTRUCTIONS:
            return language.gettext(DEFAULT_INSTRUCTIONS)
        return self.instructions

    def logo_type(self) -> str | None:
        """The logo's MIME type (image/png or image/jpeg); None without a logo."""
        if self.logo_path is None:
            return None
        try:
            with self.logo_path.open("rb") as file:
                head = file.read(8)
        except OSError as error:
            raise ValueError(f"logo {self.logo_path} cannot be read: {error}") from None
        for magic, mime_type in _IMAGE_TYPES:
            if head.startswith(magic):
                return mime_type
        raise ValueError(f"logo {self.logo_path} is neither a PNG nor a JPEG image")


def checked_color(name: str, color: str) -> str:
    """``color``, or ValueError naming ``name`` (a field here, a variable in the settings)."""
    if not HEX_COLOR.match(color):
        raise ValueError(f"{name} must be a #RRGGBB colour, not {color!r}")
    return color


_IMAGE_TYPES: Final = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
