"""GET /docs: the API described for people, rendered from our own OpenAPI document.

Swagger UI and ReDoc load their scripts from third-party CDNs; a small server-side page
needs nothing from outside and cannot drift from /openapi.json. It shows each parameter's
type as a reader thinks of it ("string (date or date-time)", "integer, 1–100, default 10"),
the responses in status order with what each means, and each operation's recorded example
(searchsvc/api/examples.py).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, render_template_string
from flask_smorest import Api

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f23}
code,pre{font:14px ui-monospace,monospace;background:#f3f4f6;padding:.1em .3em;border-radius:3px}
pre{padding:.6em;overflow-x:auto;max-height:24rem}
h2{border-top:1px solid #ddd;padding-top:1rem}.m{font-weight:700;color:#fff;background:#0b6e4f;padding:.1em .5em;border-radius:3px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;text-align:left;padding:.3em;vertical-align:top}
</style></head><body>
<h1>{{ spec.info.title }} API <small>v{{ spec.info.version }}</small></h1>
<p>JSON in and out. Machine-readable description: <a href="/openapi.json">/openapi.json</a>.
Every error is JSON: <code>{"status", "code", "message", "parameter"}</code>.</p>
{% for path, item in spec.paths.items() %}{% for method, op in item.items() if method in ("get","post","put","delete","patch") %}
<h2 id="{{ method }}-{{ path }}"><span class="m">{{ method|upper }}</span> <code>{{ path }}</code></h2>
<p>{{ op.summary or "" }} {{ op.description or "" }}</p>
{% set parameters = (item.parameters or []) + (op.parameters or []) %}
{% if parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td><td>{{ parameter_label(p) }}</td>
<td>{{ p.description or "" }}</td></tr>{% endfor %}</table>{% endif %}
<table><tr><th>status</th><th>response</th></tr>
{% for status, r in op.responses.items() %}<tr><td><code>{{ status }}</code></td><td>{{ response_of(r).description }}</td></tr>{% endfor %}</table>
{% for sample in op["x-codeSamples"] or [] %}<p>Example request:</p><pre>{{ sample.source }}</pre>{% endfor %}
{% for status, r in op.responses.items() %}{% for type, content in (r.content or {}).items() if content.example is defined %}
<p>Example response (<code>{{ status }}</code>, <code>{{ type }}</code>):</p><pre>{{ example_text(content.example) }}</pre>
{% endfor %}{% endfor %}
{% endfor %}{% endfor %}
</body></html>"""


def type_label(schema: dict[str, Any] | None) -> str:
    """A parameter's schema as a reader says it: its type, format, choices, bounds and default."""
    if not schema:
        return ""
    label = schema.get("type", "")
    formats = [option["format"] for option in schema.get("anyOf", []) if "format" in option]
    if schema.get("format") or formats:
        label += f" ({' or '.join(formats or [schema['format']])})"
    if "items" in schema:
        label = f"list of {type_label(schema['items'])}"
    if schema.get("enum"):
        label += ": one of " + ", ".join(str(value) for value in schema["enum"])
    if "minimum" in schema or "maximum" in schema:
        label += f", {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    if "maxLength" in schema:
        label += f", up to {schema['maxLength']} characters"
    if schema.get("default") not in (None, "", []):
        label += f", default {json.dumps(schema['default'])}"
    return label


def parameter_label(parameter: dict[str, Any]) -> str:
    """The type of a parameter, and for a list how it is sent: comma-separated or repeated."""
    label = type_label(parameter.get("schema"))
    if parameter.get("schema", {}).get("type") == "array":
        label += "; comma-separated" if parameter.get("explode") is False else "; repeat the parameter"
    return label


def example_text(example: Any) -> str:
    return example if isinstance(example, str) else json.dumps(example, indent=2, ensure_ascii=False)


def init_app(app: Flask, api: Api) -> None:
    @app.get("/docs")
    def api_docs() -> str:
        spec = api.spec.to_dict()
        components = spec.get("components", {}).get("responses", {})

        def response_of(response: dict[str, Any]) -> dict[str, Any]:
            """A response, its reference (a status name registered by flask-smorest) resolved."""
            reference = response.get("$ref", "")
            return components.get(reference.rsplit("/", 1)[-1], response) if reference else response

        return render_template_string(PAGE, spec=spec, parameter_label=parameter_label, example_text=example_text, response_of=response_of)
