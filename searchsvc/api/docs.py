"""GET /docs: the API described for people, rendered from our own OpenAPI document.

Swagger UI and ReDoc load their scripts from third-party CDNs; a small server-side page
needs nothing from outside and cannot drift from /openapi.json.
"""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_smorest import Api

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }} API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f23}
code,pre{font:14px ui-monospace,monospace;background:#f3f4f6;padding:.1em .3em;border-radius:3px}
h2{border-top:1px solid #ddd;padding-top:1rem}.m{font-weight:700;color:#fff;background:#0b6e4f;padding:.1em .5em;border-radius:3px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;text-align:left;padding:.3em;vertical-align:top}
</style></head><body>
<h1>{{ spec.info.title }} API <small>v{{ spec.info.version }}</small></h1>
<p>JSON in and out. Machine-readable description: <a href="/openapi.json">/openapi.json</a>.
Every error is JSON: <code>{"status", "code", "message", "parameter"}</code>.</p>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() if method in ("get","post","put","delete","patch") %}
<h2><span class="m">{{ method|upper }}</span> <code>{{ path }}</code></h2>
<p>{{ op.summary or "" }} {{ op.description or "" }}</p>
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
<td>{{ p.schema.type if p.schema else "" }}{% if p.schema and p.schema.enum %} ({{ p.schema.enum|join(", ") }}){% endif %}{% if p.schema and p.schema.items %} of {{ p.schema["items"].type }}{% endif %}</td>
<td>{{ p.description or "" }}</td></tr>{% endfor %}</table>{% endif %}
<p>Responses: {% for code, r in op.responses.items() %}<code>{{ code }}</code> {{ r.description }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
{% endfor %}{% endfor %}
</body></html>"""


def init_app(app: Flask, api: Api) -> None:
    @app.get("/docs")
    def api_docs() -> str:
        return render_template_string(PAGE, spec=api.spec.to_dict())
