"""Minimal VALID request bodies for the matrix's write probes, derived from the OpenAPI schema.

An empty body answers 422 before any permission check runs, so a write probe with one could
pass while the check is missing. Here every required field gets a plausible value (an enum's
first choice, a date, an id of the probing user's own row for `<type>_id`, the row's current
`version`), and an update also carries one name-like field set to `WRITTEN`, so a write that
gets through changes the row and the snapshot comparison catches it.
`test_write_bodies_are_valid` proves the bodies are valid: an admin's update with them succeeds.
"""

import datetime
from collections.abc import Callable
from typing import Any

WRITTEN = "Zqwritten"
# Fields an update sets to `WRITTEN` (the first the schema has), so a leaked write shows.
CHANGED_FIELDS = ("name", "title", "subject", "last_name", "description", "notes", "body", "label")

IdOf = Callable[[str], int | None]  # the probing user's own row id of a record type, by key


def resolve(schema: dict, node: dict) -> dict:
    """`node` with its `$ref` followed (within components/schemas)."""
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _non_null(schema: dict, node: dict) -> dict:
    node = resolve(schema, node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [resolve(schema, o) for o in node[key] if o.get("type") != "null"]
            numbers = [o for o in options if o.get("type") in ("number", "integer")]
            return (numbers or options or [{"type": "null"}])[0]
    if "allOf" in node and len(node["allOf"]) == 1:
        return resolve(schema, node["allOf"][0])
    return node


def _string(node: dict) -> str:
    fmt = node.get("format")
    if fmt == "date-time":
        return datetime.datetime.now(datetime.UTC).isoformat()
    if fmt == "date":
        return datetime.date.today().isoformat()
    if fmt == "email":
        return "matrix@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com/matrix"
    if fmt == "time":
        return "09:00:00"
    text = "Zqbody"
    return text.ljust(node.get("minLength", 0), "x")[: node.get("maxLength", len(text))]


def value_for(schema: dict, name: str, node: dict, id_of: IdOf, depth: int = 0) -> Any:
    """A plausible valid value of one field."""
    node = _non_null(schema, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "default" in node and node["default"] is not None:
        return node["default"]
    if node.get("examples"):
        return node["examples"][0]
    kind = node.get("type")
    if kind == "integer" and name.endswith("_id"):
        return id_of(name.removesuffix("_id")) or 1
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        return max(1, int(low) + (1 if "exclusiveMinimum" in node else 0))
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(node)
    if kind == "array":
        count = node.get("minItems", 0)
        item = node.get("items", {})
        return [value_for(schema, name, item, id_of, depth + 1) for _ in range(count)]
    if kind == "object" or "properties" in node:
        return object_for(schema, node, id_of, depth + 1) if depth < 4 else {}
    return None


def object_for(schema: dict, node: dict, id_of: IdOf, depth: int = 0) -> dict:
    node = _non_null(schema, node)
    properties = node.get("properties", {})
    return {
        name: value_for(schema, name, properties[name], id_of, depth)
        for name in node.get("required", [])
        if name in properties
    }


def request_body(
    schema: dict, operation: dict, *, id_of: IdOf, version: int | None, update: bool
) -> dict | None:
    """The minimal valid JSON body of `operation` (None: it takes none)."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    node = _non_null(schema, content["application/json"]["schema"])
    body = object_for(schema, node, id_of)
    properties = node.get("properties", {})
    if "version" in properties and version is not None:
        body["version"] = version
    if update:
        for name in CHANGED_FIELDS:
            if name in properties and _non_null(schema, properties[name]).get("type") == "string":
                body[name] = WRITTEN
                break
    return body
