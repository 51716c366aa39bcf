"""The OpenAPI document as the service serves it: built by Litestar from the routes, then
finished here (the problem and rate-limit headers, raw bodies, examples, the code enum).

Routes declare their side of it with ``entrypoints.http.openapi`` (security, problems).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin
from litestar.openapi.spec import Components

from application import errors
from application.errors import ErrorCode
from entrypoints.http.openapi import (
    PROBLEM_HEADERS,
    RATE_LIMIT_HEADERS,
    RAW_BODIES,
    REQUEST_ID_HEADER,
    SECURITY_SCHEMES,
    TITLE,
    documented_codes,
)
from entrypoints.http.problems import PROBLEM_JSON, generic_codes
from entrypoints.http.schemas import Camel
from entrypoints.version import package_version


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title=TITLE,
        version=package_version(),
        description=(
            "Ticket fulfillment: Stripe payment to paid order to signed QR ticket. Errors are "
            "RFC 9457 problem details (`application/problem+json`) with a stable `code`."
        ),
        components=Components(security_schemes=SECURITY_SCHEMES),
        # No document-wide security: each route names its own (public ones none).
        render_plugins=[FinishedJsonPlugin(), ScalarRenderPlugin()],
        path="/schema",
    )


class FinishedJsonPlugin(JsonRenderPlugin):
    """Serves ``/schema/openapi.json`` as ``tickets openapi`` writes it: finished."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json")
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = json.dumps(finish(openapi_schema)).encode()
        return self._rendered


def document(app: Litestar) -> dict[str, Any]:
    """The finished OpenAPI document of an app, as a JSON-ready dict."""
    return finish(app.openapi_schema.to_schema())


def finish(raw: dict[str, Any]) -> dict[str, Any]:
    """What Litestar cannot declare on a route: examples, closed input objects, headers."""
    # Imported here: the examples are instances of the routes' structs, which import this.
    from entrypoints.http.examples import EXAMPLES

    doc: dict[str, Any] = json.loads(json.dumps(raw))  # a deep copy, never the cached one
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    for struct, example in EXAMPLES.items():
        if struct.__name__ in schemas:
            schemas[struct.__name__]["examples"] = [msgspec.to_builtins(example)]
    # Request bodies refuse unknown fields (forbid_unknown_fields): say so, clients then
    # generate closed types.
    for struct in _subclasses(Camel):
        if struct.__struct_config__.forbid_unknown_fields and struct.__name__ in schemas:
            schemas[struct.__name__]["additionalProperties"] = False
    for operation in _operations(doc):
        if operation.get("operationId") in RAW_BODIES:
            name, schema = RAW_BODIES[operation["operationId"]]
            schemas[name] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                },
            }
        responses = operation.get("responses", {})
        for status, response in list(responses.items()):
            if _litestar_default_error(response):
                # Litestar adds a 400 in its own shape to any route with parameters; ours
                # are problem+json and a route that can answer 400 declares it.
                del responses[status]
                continue
            headers = PROBLEM_HEADERS.get(int(status))
            if headers and PROBLEM_JSON in response.get("content", {}):
                response["headers"] = {**response.get("headers", {}), **headers}
            if "429" in responses and (status.startswith("2") or status == "429"):
                response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
            response["headers"] = {**response.get("headers", {}), **REQUEST_ID_HEADER}
            for media_type, media in response.get("content", {}).items():
                _drop_example_ids(media)
                if not media_type.startswith("text/") and "json" not in media_type:
                    media["schema"] = {"type": "string", "format": "binary"}  # a PDF: bytes
        for parameter in operation.get("parameters", []):
            _drop_example_ids(parameter)
    if "ProblemDetails" in schemas:
        # A closed list, so that a client's type of `code` is a union of literals, not string.
        code = schemas["ProblemDetails"]["properties"]["code"]
        code["enum"] = sorted(_every_code(doc))
    return doc


def _every_code(doc: Mapping[str, Any]) -> set[str]:
    """Every problem code the service answers: those the routes document, the catalogue of the
    use cases, and those any route may answer (by status, the fallbacks)."""
    documented = {
        code
        for operation in _operations(doc)
        for status in operation.get("responses", {})
        if status.isdigit()
        for code in documented_codes(operation, int(status))
    }
    catalogue = {entry.code for entry in vars(errors).values() if isinstance(entry, ErrorCode)}
    return documented | catalogue | generic_codes()


def _litestar_default_error(response: Mapping[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return "status_code" in schema.get("properties", {})


def _drop_example_ids(holder: Mapping[str, Any]) -> None:
    """Litestar writes an example's ``id`` (its key) into it too: not a field of OpenAPI's."""
    for example in holder.get("examples", {}).values():
        example.pop("id", None)


def _operations(doc: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in doc.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield operation


def _subclasses(cls: type[Camel]) -> Iterable[type[Camel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
