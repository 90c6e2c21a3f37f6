"""The accessibility audit of the widget: axe-core (pinned in package.json beside this file,
installed by scripts/test with ``npm ci``) injected into the page under test, run over the
<news-search> element and its open shadow root, experimental rules included (the
label-content-name-mismatch rule is one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

_RUN = """async () => {
  const rules = Object.fromEntries(axe.getRules(["experimental"]).map((rule) => [rule.ruleId, { enabled: true }]));
  const result = await axe.run({ include: [["news-search"]] }, { rules, resultTypes: ["violations"] });
  return result.violations.map(({ id, impact, help, helpUrl, nodes }) => ({
    id, impact, help, helpUrl,
    nodes: nodes.map((node) => ({ target: node.target, html: node.html, summary: node.failureSummary })),
  }));
}"""


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations in the widget as the page shows it now."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is not installed: run scripts/test, or npm ci --prefix {AXE_SCRIPT.parents[2]}")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(_RUN)


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, what it means, and where (at most 5 nodes)."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:5]:
            lines.append(f"  at {' >> '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.extend(f"     {line}" for line in (node["summary"] or "").splitlines())
        if len(violation["nodes"]) > 5:
            lines.append(f"  … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def counts(violations: list[dict[str, Any]]) -> dict[str, Any]:
    """A summary for the record: violations (rules) and failing nodes, per impact and per rule."""
    by_impact: dict[str, int] = {}
    for violation in violations:
        by_impact[violation["impact"]] = by_impact.get(violation["impact"], 0) + 1
    return {"violations": len(violations), "by_impact": by_impact,
            "rules": {v["id"]: len(v["nodes"]) for v in violations}}


def record(folder: Path, state: str, violations: list[dict[str, Any]]) -> None:
    """Keep the state's full result in ``folder``/axe-STATE.json for a human to read."""
    folder.mkdir(exist_ok=True)
    (folder / f"axe-{state}.json").write_text(json.dumps({"summary": counts(violations), "violations": violations}, indent=1), "utf-8")
