"""A mkdocs hook: docs/api/reference.md gets, below its own text, every operation and schema of
contract/openapi.json, rendered as Markdown at build time.

Rendered here rather than by a Swagger or Redoc page: those load their scripts from a CDN, and
the site must read the same offline and from a clone. Read from the committed document, which a
test keeps equal to `tickets openapi`'s output, so the reference is the one the service serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parents[1] / "contract" / "openapi.json"
PAGE = "api/reference.md"
METHODS = ("get", "put", "post", "patch", "delete")


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    return markdown + "\n" + render(json.loads(DOCUMENT.read_text(encoding="utf-8")))


def render(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, operation))
    lines.append("## Operations\n")
    for tag, operations in by_tag.items():
        lines.append(f"### {tag}\n")
        for method, path, operation in operations:
            lines += _operation(method, path, operation)
    lines.append("## Schemas\n")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"#### `{method.upper()} {path}` {{#{operation['operationId']}}}\n"]
    lines.append(f"**{operation.get('summary', '')}** · operation id `{operation['operationId']}`")
    security = [name for requirement in operation.get("security", []) for name in requirement]
    lines.append(f" · security (any one): {', '.join(f'`{s}`' for s in security) or 'none (public)'}\n")
    if operation.get("description"):
        lines.append(_one_line(operation["description"]) + "\n")
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | meaning |", "| --- | --- | --- | --- | --- |"]
        for p in parameters:
            lines.append(
                f"| `{p['name']}` | {p['in']} | {_type(p.get('schema', {}))} | "
                f"{'yes' if p.get('required') else 'no'} | {_cell(p.get('description', ''))} |"
            )
        lines.append("")
    body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        lines.append(f"Request body (`{media}`): {_type(content.get('schema', {}))}\n")
    lines += ["| status | answer |", "| --- | --- |"]
    for status, response in operation.get("responses", {}).items():
        media = ", ".join(f"`{m}` {_type(c.get('schema', {}))}" for m, c in response.get(
            "content", {}
        ).items())
        answer = _cell(response.get("description", ""))
        lines.append(f"| {status} | {answer}{' · ' + media if media else ''} |")
    lines.append("")
    return lines


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{#schema-{name.lower()}}}\n"]
    if schema.get("description"):
        lines.append(_one_line(schema["description"]) + "\n")
    if "enum" in schema:
        lines.append("One of " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".\n")
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        lines += ["| field | type | required | meaning |", "| --- | --- | --- | --- |"]
        for field, spec in properties.items():
            meaning = _cell(spec.get("description", ""))
            if "enum" in spec and spec.get("type") == "string" and len(spec["enum"]) > 8:
                meaning += " (one of the codes listed below the table)"
            lines.append(
                f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} | {meaning} |"
            )
        lines.append("")
        for field, spec in properties.items():
            if "enum" in spec and len(spec["enum"]) > 8:
                lines.append(f"`{field}`: " + ", ".join(f"`{v}`" for v in spec["enum"]) + ".\n")
    return lines


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    for combined in ("oneOf", "anyOf"):
        if combined in schema:
            return " or ".join(_type(s) for s in schema[combined])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema and len(schema["enum"]) <= 8:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")
