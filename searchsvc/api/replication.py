"""GET /replication/manifest and /replication/files/…: the primary's side of replication.

Behind a replication key (SEARCHSVC_REPLICATION_KEYS; without one, replication is off),
outside /api/ so the public rate limits never count a replica's transfers, and never under
CORS. The snapshots themselves are searchsvc/replication/snapshots.py.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, send_file
from flask_smorest import abort
from marshmallow import Schema, fields

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.auth import require_replication_key
from searchsvc.api.schemas import ErrorSchema
from searchsvc.replication.snapshots import Snapshots
from searchsvc.store import StoreBusyError

EXTENSION = "searchsvc.snapshots"
LOCK_TIMEOUT = 2.0  # seconds a manifest waits for a running write before the replica asks again
_SECURED = {"security": [{"bearerAuth": []}]}

blp = Blueprint("replication", __name__, url_prefix="/replication", description="Index snapshots for replicas (needs a replication key)")


class FileEntrySchema(Schema):
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    sha256 = fields.String(required=True)


class ManifestSchema(Schema):
    generation = fields.String(required=True, metadata={"description": "The index generation (a full rebuild makes a new one)."})
    version = fields.Integer(required=True, metadata={"description": "The version within the generation (every commit makes a new one)."})
    snapshot = fields.String(required=True, metadata={"description": "generation.version: where the files are served from."})
    committed_at = fields.Float(required=True, metadata={"description": "When the primary committed the version (seconds since the epoch)."})
    files = fields.Nested(FileEntrySchema, many=True, required=True)


def _document_errors(view: Any) -> Any:
    for status, description in ((401, "Missing or wrong replication key"), (403, "Replication is off on this node"),
                                (503, "No index yet, or a write holds the index; retry after Retry-After seconds")):
        view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
    return view


@blp.route("/manifest")
@blp.doc(**_SECURED)
@blp.response(200, ManifestSchema, description="The files of the live version, kept as a snapshot for replicas to fetch")
@_document_errors
@require_replication_key
def manifest() -> dict[str, Any]:
    """The live version's files with their sizes and checksums (a snapshot that stays until replicas fetched it)."""
    try:
        return current_app.extensions[EXTENSION].latest(LOCK_TIMEOUT).to_dict()
    except StoreBusyError as error:
        abort(503, message=str(error), code="writer_busy", headers={"Retry-After": "1"})


@blp.route("/files/<string:snapshot>/<string:name>", parameters=[
    {"in": "path", "name": "snapshot", "description": "A snapshot named by the manifest."},
    {"in": "path", "name": "name", "description": "One of that snapshot's files, as the manifest lists them."},
])
@blp.doc(**_SECURED)
@blp.response(200, description="The file's bytes (immutable; Range requests allowed)",
              content_type="application/octet-stream")
@blp.alt_response(404, schema=ErrorSchema, description="No such snapshot or file (an old snapshot is pruned: fetch the manifest again)")
@_document_errors
@require_replication_key
def snapshot_file(snapshot: str, name: str) -> Any:
    """One file of a snapshot."""
    path = current_app.extensions[EXTENSION].file(snapshot, name)
    if path is None:
        abort(404, message=f"no file {name!r} in snapshot {snapshot!r}; fetch the manifest again", code="not_found")
    return send_file(path, mimetype="application/octet-stream", conditional=True, max_age=31_536_000)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Snapshots(app.extensions[api.STORE_EXTENSION])
