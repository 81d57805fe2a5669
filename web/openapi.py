"""The OpenAPI document, told what the API really answers when it refuses a request.

FastAPI documents every 422 as its own `HTTPValidationError` (`detail` a list of `{loc, msg, type}`),
but web/errors.py answers `{"detail": {"message", "errors": {field: message}}}` (the per-field errors
of DESIGN.md section 4), `{"detail": {"message", "report"}}` for a refused deployment, and a plain
`{"detail": "..."}` for a request refused before validation (a NUL byte, an id out of range). FastAPI
also says nothing of 401/403/404/409/413. Generated clients and schemathesis read this document, so
it is rewritten once, when first asked for: the 422 schema becomes ours, and the other refusals are
listed on the operations where they can happen.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

SCHEMAS = "#/components/schemas/"
API_PREFIX = "/api/"
WRITE_METHODS = {"post", "put", "patch", "delete"}

ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "title": "Error",
        "description": "Every refusal except 422: what went wrong, in plain words.",
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
    },
    "FieldErrors": {
        "title": "FieldErrors",
        "description": "The request or form is not valid: a message and one error per field "
        "(dotted path of the field, e.g. `data.client.birth_date`, to what is wrong with it).",
        "type": "object",
        "required": ["message", "errors"],
        "properties": {
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "DeploymentRejection": {
        "title": "DeploymentRejection",
        "description": "Uploaded process files were refused: the validation report names each file, element and rule.",
        "type": "object",
        "required": ["message", "report"],
        "properties": {
            "message": {"type": "string"},
            "report": {
                "type": "object",
                "properties": {
                    "ok": {"type": "boolean"},
                    "process_ids": {"type": "array", "items": {"type": "string"}},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "warnings": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    "InvalidRequest": {
        "title": "InvalidRequest",
        "description": "422: per-field errors, a refused deployment's report, or (for a request refused "
        "before validation: a NUL byte, a number out of range) a plain message.",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {
                "anyOf": [
                    {"$ref": SCHEMAS + "FieldErrors"},
                    {"$ref": SCHEMAS + "DeploymentRejection"},
                    {"type": "string"},
                ]
            }
        },
    },
}

DESCRIPTIONS = {
    "401": "Not signed in: no session and no valid bearer token.",
    "403": "Signed in, but this user's roles or need-to-know do not allow it.",
    "404": "No such thing (or not one this user may know of).",
    "409": "Conflict with the current state: already claimed, completed or changed by someone else; "
    "reload and try again.",
    "413": "The request body is larger than the configured limit.",
    "422": "The request is not valid.",
}
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def install(app: FastAPI) -> None:
    """Wrap `app.openapi`: FastAPI builds (and caches) its document, which is corrected once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        if "InvalidRequest" not in document.get("components", {}).get("schemas", {}):
            describe_errors(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas.update(ERROR_SCHEMAS)
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "`auttamo users token NAME`, or a session"}
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _describe(path, method, operation)
    return document


def _describe(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    authenticated = path.startswith(API_PREFIX)  # every JSON API route depends on web.deps.current_actor
    has_body = "requestBody" in operation
    statuses = ["422"]  # any request may be refused (a NUL byte, a number out of range), parameters or not
    if authenticated:
        statuses += ["401", "403"]
        operation["security"] = [{"bearer": []}]
    if "{" in path or (authenticated and has_body):
        statuses.append("404")  # a named or referenced thing may not exist
    if authenticated and method in WRITE_METHODS:
        statuses.append("409")
    if has_body:
        statuses.append("413")
    for status in statuses:
        schema = "InvalidRequest" if status == "422" else "Error"
        answer = responses.setdefault(status, {})
        answer.setdefault("description", DESCRIPTIONS[status])
        answer["content"] = {"application/json": {"schema": {"$ref": SCHEMAS + schema}}}
