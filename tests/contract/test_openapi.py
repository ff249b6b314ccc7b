"""The API schema is a contract: /api/v1/openapi.json must equal the committed
tests/contract/openapi.json, so every change to it shows up in review as a diff of that file.

After an intended change, regenerate the snapshot and commit it with the code:

    UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/contract/test_openapi.py
"""

import json
import os
from pathlib import Path

from django.test import Client

SNAPSHOT = Path(__file__).with_name("openapi.json")


def _render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_openapi_schema_matches_the_committed_snapshot():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    current = _render(response.json())
    if os.environ.get("UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.exists(), "No snapshot yet: run with UPDATE_OPENAPI_SNAPSHOT=1."
    assert current == SNAPSHOT.read_text(encoding="utf-8"), (
        "The API schema changed. If intended, regenerate with UPDATE_OPENAPI_SNAPSHOT=1 "
        "(see this module's docstring) and commit tests/contract/openapi.json."
    )


def _resolved(schema: dict, response: dict) -> dict:
    """A response, or the shared one of the components it refers to (429)."""
    ref = response.get("$ref", "")
    return schema["components"]["responses"][ref.rpartition("/")[2]] if ref else response


def test_every_operation_documents_its_errors_and_purpose():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            responses = operation["responses"]
            assert "401" in responses, f"{where} does not document 401"
            assert any(code.startswith("2") for code in responses), f"{where}: no success"
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    ref = _resolved(schema, response)["content"]["application/json"]["schema"][
                        "$ref"
                    ]
                    assert ref.endswith("/ErrorOut"), f"{where} {code} is not ErrorOut"


def test_every_operation_documents_bad_input_missing_records_and_read_only_tokens():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = set(operation["responses"])
            if "requestBody" in operation:
                assert {"400", "422"} <= responses, f"{where}: a body can be malformed"
            if "{" in path:
                assert {"404", "422"} <= responses, f"{where}: the id may not exist or parse"
            if method != "get" and operation.get("security"):
                assert "403" in responses, f"{where}: a read-only token may not write"
