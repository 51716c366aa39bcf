"""The environment variables the service reads, found in the source: what .env.example and the
configuration page must both list."""

from __future__ import annotations

import re

from tests.support.service import ROOT

# env.get("NAME"...), env["NAME"], os.environ.get("NAME"...), helpers called (env, "NAME"...)
# and "NAME" in os.environ
READ = re.compile(
    r'(?:\benv|\benviron)(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)"'
    r'|\(\s*env\s*,\s*"([A-Z][A-Z0-9_]+)"'
    r'|"([A-Z][A-Z0-9_]+)"\s+in\s+(?:os\.)?environ\b'
)


def variables_read() -> set[str]:
    names: set[str] = set()
    for module in (ROOT / "src" / "entrypoints").rglob("*.py"):
        for match in READ.finditer(module.read_text()):
            names.add(next(group for group in match.groups() if group))
    return names
