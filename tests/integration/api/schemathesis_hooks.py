"""Checks of our own for schemathesis runs (loaded through ``SCHEMATHESIS_HOOKS``)."""

from __future__ import annotations

from typing import Any

import schemathesis

PROBLEM_JSON = "application/problem+json"


@schemathesis.check
def problem_codes_are_documented(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every problem answer carries a ``code`` that its route lists for that status."""
    if case.method.upper() != case.operation.method.upper():
        return None  # a probe with a method the route lacks (405): not this route's answer
    status = response.status_code
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if status < 400 or not content_type.startswith(PROBLEM_JSON):
        return None
    code = response.json().get("code")
    documented = (
        case.operation.definition.raw.get("responses", {})
        .get(str(status), {})
        .get("content", {})
        .get(PROBLEM_JSON, {})
        .get("examples", {})
    )
    if code not in documented:
        raise AssertionError(
            f"{case.operation.label} answered {status} `{code}`, "
            f"but documents only {sorted(documented)} for {status}"
        )
    return None
