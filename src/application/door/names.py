"""Names as a door volunteer types them: found without case, accents or special letters."""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """Lower case without accents: "Åse Øvergård" is found by "ase overgard"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_LETTERS)


# Letters that are not a base letter plus an accent, as a door volunteer would type them.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})
