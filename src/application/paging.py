"""Cursor pagination shared by the lists that can grow (alerts, an aggregate's events)."""

from __future__ import annotations

from application.errors import InvalidQuery

MAX_PAGE = 200


def check_limit(limit: int, most: int = MAX_PAGE) -> int:
    if not 1 <= limit <= most:
        raise InvalidQuery(f"limit must be 1 to {most}, not {limit}", "invalid_limit")
    return limit


def parse_cursor(cursor: str | None) -> int | None:
    """The position a cursor stands for: opaque to clients, a number to the list that gave it."""
    if cursor is None or cursor == "":
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidQuery("cursor is not one this list gave out", "invalid_cursor")
    return int(cursor)
