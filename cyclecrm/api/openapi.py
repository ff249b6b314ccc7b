"""The API schema documents the errors every operation can give by its shape alone.

Some failures do not depend on what a handler does, so they are documented here, once, rather
than in each `error_responses(...)` call where one is easily forgotten (schemathesis found 41
operations that answered a status code they did not document):

- 400: a request that cannot be parsed (a body that is not JSON);
- 422: a body, path or query parameter that does not validate (an id beyond 64 bits, a
  string where a number is expected);
- 404: a path naming a record that does not exist or that the user may not see;
- 403: a write (POST, PUT, PATCH, DELETE) sent with a read-only token;
- 429: an operation under a rate limit (every one with a throttle: cyclecrm/api/throttle.py),
  with `Retry-After` and the `RateLimit-*` headers.
"""

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from cyclecrm.api.auth import SAFE_METHODS

ERROR_REF = "#/components/schemas/ErrorOut"
DESCRIPTIONS = {
    "400": "Bad Request",
    "403": "Forbidden",
    "404": "Not Found",
    "422": "Unprocessable Entity",
}
_SECONDS = {"type": "integer", "minimum": 0}
RATE_LIMIT_HEADERS = {
    "Retry-After": "Seconds to wait before trying again (the end of the current window).",
    "RateLimit-Limit": "Requests allowed per window for this caller and kind of request.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the current window ends.",
}


def _error_response(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }


RATE_LIMITED_REF = "#/components/responses/RateLimited"


def rate_limited_response() -> dict[str, Any]:
    """429: the error body, and headers saying when to come back (once, in the components;
    each limited operation refers to it)."""
    return {
        "description": "Too Many Requests",
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
        "headers": {
            name: {"description": text, "required": True, "schema": _SECONDS}
            for name, text in RATE_LIMIT_HEADERS.items()
        },
    }


def structural_errors(method: str, operation: dict[str, Any]) -> set[str]:
    """The error statuses an operation can answer whatever its handler does."""
    codes: set[str] = set()
    locations = {parameter["in"] for parameter in operation.get("parameters", [])}
    if "requestBody" in operation:
        codes |= {"400", "422"}
    if locations:
        codes.add("422")
    if "path" in locations:
        codes.add("404")
    if operation.get("security") and method.upper() not in SAFE_METHODS:
        codes.add("403")
    return codes


def document_structural_errors(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            # ninja keys responses by int status; one key type, or a code documented by the
            # handler would be written twice to the JSON (Swagger UI refuses duplicate keys).
            responses = {str(code): body for code, body in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for code in structural_errors(method, operation) - set(responses):
                responses[code] = _error_response(code)


class CrmOpenAPISchema(OpenAPISchema):
    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        if operation.throttle_objects:
            details["responses"][429] = {"$ref": RATE_LIMITED_REF}
        return details

    def get_components(self) -> dict[str, Any]:
        components = super().get_components()
        components["responses"] = {"RateLimited": rate_limited_response()}
        return components


class CrmNinjaAPI(NinjaAPI):
    """NinjaAPI whose schema also documents the structural errors (see this module)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = CrmOpenAPISchema(self, path_prefix)
        document_structural_errors(schema)
        return schema
