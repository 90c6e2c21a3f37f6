"""Command line: ``searchsvc reindex SOURCE...``, ``searchsvc status`` and ``searchsvc follow PRIMARY_URL``.

The same commands are registered on the Flask app (``flask --app wsgi reindex``), as in
Flask's tutorial; the library functions they call are ``searchsvc.indexer.reindex`` and
``SearchService.status``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import Flask

from searchsvc import config
from searchsvc.articles import parse_datetime
from searchsvc.indexer import NothingIndexedError, ReindexReport, reindex, update
from searchsvc.journal import ReplayTooOldError
from searchsvc.replication.follower import MAX_BACKOFF, SYNC_ERRORS, Follower, ReplicationError
from searchsvc.replication.state import ReplicaState, node_role
from searchsvc.store import IndexStore, NoIndexError, StoreBusyError

MAX_PROBLEMS_SHOWN = 50

index_dir_option = click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: str(config.from_env()["INDEX_DIR"]),
    show_default="$SEARCHSVC_INDEX_DIR or ./index",
    help="Folder of index generations.",
)


def _print_problems(report: ReindexReport) -> None:
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"skipped {problem}", err=True)
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(report.problems) - MAX_PROBLEMS_SHOWN} more problems", err=True)


@click.command("reindex")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_dir_option
@click.option("--update", "incremental", is_flag=True, help="Upsert into the live index instead of rebuilding it.")
@click.option("--delete-missing", is_flag=True, help="With --update: delete live articles the sources do not contain.")
@click.option(
    "--replay-since", metavar="ISO_TIME", default=None,
    help="When SOURCES were exported: also replay the API writes journaled since then (the newer updated wins over the export's copy).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def reindex_command(
    sources: tuple[Path, ...], index_dir: Path, incremental: bool, delete_missing: bool, replay_since: str | None, progress: bool | None
) -> None:
    """Rebuild the index from SOURCES (.jsonl[.gz], .json, scraped .txt pages, RSS/Atom feeds, folders).

    The new generation is built beside the live one while the service keeps answering, and
    switched in atomically when complete; writes made through the API meanwhile are replayed
    into it. With --update the articles are upserted into the live generation instead.
    """
    if delete_missing and not incremental:
        raise click.UsageError("--delete-missing goes with --update")
    if replay_since is not None and incremental:
        raise click.UsageError("--replay-since goes with a full rebuild, not --update")
    try:
        since = parse_datetime(replay_since) if replay_since is not None else None
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {replay_since!r}", param_hint="--replay-since") from error
    show_progress = sys.stderr.isatty() if progress is None else progress
    store = IndexStore(index_dir)
    try:
        if incremental:
            report = update(sources, store, delete_missing=delete_missing, progress=show_progress)
        else:
            report = reindex(sources, store, progress=show_progress, replay_since=since)
    except NothingIndexedError as error:
        _print_problems(error.report)
        raise click.ClickException(f"{error} ({error.report.skipped} records skipped)") from error
    except (NoIndexError, StoreBusyError, ReplayTooOldError) as error:
        raise click.ClickException(str(error)) from error
    _print_problems(report)
    click.echo(report.summary())


@click.command("status")
@index_dir_option
def status_command(index_dir: Path) -> None:
    """Show the live generation and version: name, article count, when built and from which
    sources; the node's role, and on a replica how far it lags behind its primary."""
    settings = config.from_env()
    store = IndexStore(index_dir)
    role = node_role(settings["PRIMARY_URL"], settings["REPLICATION_KEYS"])
    replica = ReplicaState.load(store.root)
    node = {"role": role, **({"primary": replica.primary, "lag_seconds": round(replica.lag_seconds(), 3),
                              "primary_version": replica.primary_version} if replica else {})}
    try:
        generation = store.current()
    except NoIndexError as error:
        raise click.ClickException(f"{error} ({json.dumps(node)})") from error
    meta = generation.meta()
    version = f"{generation.name}.{generation.version()}"
    click.echo(json.dumps({"index_dir": str(store.root), "generation": generation.name, "version": version, **meta, **node}, indent=2))


@click.command("follow")
@click.argument("primary_url")
@index_dir_option
@click.option("--once", is_flag=True, help="Sync once and exit (for cron and tests).")
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True,
              help="Seconds between checks of the primary.")
@click.option("--max-backoff", type=click.FloatRange(min=0.05), default=MAX_BACKOFF, show_default=True,
              help="Most seconds between retries while the primary is unreachable.")
def follow_command(primary_url: str, index_dir: Path, once: bool, interval: float, max_backoff: float) -> None:
    """Keep this node's index in step with the primary at PRIMARY_URL (a replica).

    Needs SEARCHSVC_REPLICATION_KEY, one of the primary's SEARCHSVC_REPLICATION_KEYS. Each
    version the primary commits is downloaded (only the files missing here), verified and
    installed atomically; one JSON line is logged per installed version. While the primary
    is down the replica keeps its last version and retries with backoff.
    """
    key = os.environ.get("SEARCHSVC_REPLICATION_KEY", "").strip()
    if not key:
        raise click.UsageError("set SEARCHSVC_REPLICATION_KEY to one of the primary's SEARCHSVC_REPLICATION_KEYS")
    follower = Follower(primary_url, key, IndexStore(index_dir))
    if once:
        try:
            follower.sync_once()
        except (*SYNC_ERRORS, ReplicationError) as error:
            raise click.ClickException(f"sync failed: {type(error).__name__}: {error}") from error
    else:
        follower.run(interval, max_backoff)  # until stopped


@click.group()
def main() -> None:
    """searchsvc: full-text search for news publishers."""


main.add_command(reindex_command)
main.add_command(status_command)
main.add_command(follow_command)


def init_app(app: Flask) -> None:
    app.cli.add_command(reindex_command)
    app.cli.add_command(status_command)
