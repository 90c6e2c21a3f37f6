"""The OpenAPI document is the truth: schemathesis, generating requests from a real
gunicorn's /openapi.json, finds no server error, no response outside its documented
schema, no undocumented status and no 405 without Allow.

A bounded run (fixed seed, so CI is reproducible; run the same command by hand without
--seed to explore further). Writes are exercised too, with a key, on a private index.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import DEMO_DIR, Server, build_index

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,unsupported_method"
KEY = "contract-test-key"
MIN_CASES = 200


def test_schemathesis_finds_no_contract_violation(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    with Server(tmp_path / "index", workers=2, env={"SEARCHSVC_API_KEYS": KEY}) as server:
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
                "--checks", CHECKS, "--max-examples", "25", "--seed", "7", "--request-timeout", "10",
                "--header", f"Authorization: Bearer {KEY}", "--generation-database", "none", "--no-color",
            ],
            cwd=tmp_path, capture_output=True, text=True, timeout=240,
        )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    generated = re.search(r"(\d+) generated", report)
    assert generated and int(generated.group(1)) >= MIN_CASES, report[-3000:]
