"""The school's look on tickets, emails and pages: name, colours, logo, instructions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from adapters.brand import DEFAULT_INSTRUCTIONS, Brand, checked_color
from entrypoints.environment import collect


def brand_from_env(env: Mapping[str, str]) -> Brand:
    defaults = Brand()
    with collect() as problems:
        primary = env.get("BRAND_PRIMARY_COLOR") or defaults.primary_color
        accent = env.get("BRAND_ACCENT_COLOR") or defaults.accent_color
        problems.read(lambda: checked_color("BRAND_PRIMARY_COLOR", primary))
        problems.read(lambda: checked_color("BRAND_ACCENT_COLOR", accent))
        logo = env.get("BRAND_LOGO_PATH") or None
        if logo is not None:
            problems.read(lambda: Brand(logo_path=Path(logo)), "BRAND_LOGO_PATH")
        school_name = env.get("SCHOOL_NAME") or defaults.school_name
        if not school_name.strip():
            problems.add("SCHOOL_NAME must not be blank")
    return Brand(
        school_name=school_name,
        primary_color=primary,
        accent_color=accent,
        logo_path=Path(logo) if logo else None,
        instructions=env.get("TICKET_INSTRUCTIONS") or DEFAULT_INSTRUCTIONS,
    )
