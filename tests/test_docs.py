"""The API reference tells the truth: every parameter and response described, real types,
only the statuses a route answers, and an example per operation that is what the service
really answers (recorded from the demo corpus; re-recorded here and compared)."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from searchsvc.api.examples import REQUESTS, load, record_demo, shape
from tests.support import DEMO_DIR

METHODS = ("get", "put", "post", "delete", "patch")
NOT_RECORDED = {f"{request.method} {request.path}" for request in REQUESTS if not request.recorded}
REASON_PHRASES = {status.phrase for status in HTTPStatus}


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(name, operation, parameters including the path's own) for every operation."""
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                parameters = item.get("parameters", []) + operation.get("parameters", [])
                found.append((f"{method.upper()} {path}", operation, parameters))
    return found


def test_every_parameter_has_a_description_and_a_real_type(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert len(operations(spec)) >= 14
    for name, _, parameters in operations(spec):
        for parameter in parameters:
            where = f"{name} {parameter['name']}"
            schema = parameter["schema"]
            assert parameter.get("description"), f"{where} has no description"
            assert schema.get("type"), f"{where} has no type"
            assert "nullable" not in schema and None not in schema.get("enum", []), f"{where} documents a null a query string cannot send"
    search = {p["name"]: p["schema"] for p in client.get("/openapi.json").get_json()["paths"]["/api/search"]["get"]["parameters"]}
    assert search["date_from"]["anyOf"] == [{"format": "date"}, {"format": "date-time"}]
    assert search["sort"] == {"type": "string", "enum": ["relevance", "newest", "oldest"]}


def test_responses_are_the_real_statuses_in_order_each_described(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    for name, operation, _ in operations(spec):
        statuses = list(operation["responses"])
        assert statuses == sorted(statuses) and "default" not in statuses, f"{name}: {statuses}"
        assert "422" not in statuses, f"{name} documents a 422 it never answers (parameter errors are 400)"
        for status, response in operation["responses"].items():
            description = response.get("description")
            assert description and description not in REASON_PHRASES, f"{name} {status} says only {description!r}"


def test_parameter_errors_are_the_documented_400(client: FlaskClient) -> None:
    response = client.get("/api/suggest?q=" + "x" * 201)
    assert response.status_code == 400 and response.get_json()["parameter"] == "q"
    assert "400" in client.get("/openapi.json").get_json()["paths"]["/api/suggest"]["get"]["responses"]


def test_every_operation_has_an_example_request_and_response(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    recorded = load()
    names = set()
    for name, operation, _ in operations(spec):
        names.add(name)
        assert operation.get("x-codeSamples", [{}])[0].get("source", "").startswith("curl "), f"{name} has no example request"
        if name in NOT_RECORDED:
            continue
        examples = [content["example"] for response in operation["responses"].values() for content in response.get("content", {}).values() if "example" in content]
        assert examples == [recorded[name]["body"]], f"{name} has no example response"
        if "requestBody" in operation:
            assert "example" in operation["requestBody"]["content"]["application/json"], f"{name} has no example body"
    assert set(recorded) <= names, f"examples of operations that do not exist: {set(recorded) - names}"


def test_the_examples_are_what_the_service_answers(tmp_path: Path) -> None:
    """Re-recorded over the demo corpus, every example has the same status, type and shape."""
    committed = load()
    fresh = record_demo(DEMO_DIR, tmp_path)
    assert set(fresh) == set(committed)
    for name, answer in fresh.items():
        before = committed[name]
        hint = f"{name} no longer answers as its example shows: run scripts/record-examples and review the diff"
        assert (answer["status"], answer["content_type"]) == (before["status"], before["content_type"]), hint
        if isinstance(answer["body"], str):
            assert answer["body"].split(">", 1)[0] == before["body"].split(">", 1)[0], hint
        else:
            assert shape(answer["body"]) == shape(before["body"]), hint


def test_the_docs_page_shows_types_statuses_and_examples(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    for text in ("string (date or date-time)", "integer, 1–100, default 10", "comma-separated", "repeat the parameter",
                 "Example request:", "curl -X PUT https://news.example/api/articles/hg-example-1", "Example response",
                 "Over this client&#39;s rate limit"):
        assert text in page, text
    assert page.count("Example request:") == len(operations(client.get("/openapi.json").get_json()))
