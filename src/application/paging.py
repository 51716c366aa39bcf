"""Cursor pagination shared by the lists that can grow (alerts, an aggregate's events)."""

from __future__ import annotations

from application.errors import INVALID_CURSOR, INVALID_LIMIT

MAX_PAGE = 200


def check_limit(limit: int, most: int = MAX_PAGE) -> int:
    if not 1 <= limit <= most:
        raise INVALID_LIMIT(f"limit must be 1 to {most}, not {limit}")
    return limit


def parse_cursor(cursor: str | None) -> int | None:
    """The position a cursor stands for: opaque to clients, a number to the list that gave it."""
    if cursor is None or cursor == "":
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise INVALID_CURSOR("cursor is not one this list gave out")
    return int(cursor)
