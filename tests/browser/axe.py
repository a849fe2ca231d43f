"""axe-core, the accessibility checker, run inside the page.

Its script comes from the npm registry at a pinned version into a cache folder outside the repo
(scripts/test installs it the same way; this installs it when pytest runs alone). The page's
policy rightly refuses injected scripts, so scans run in a context made with `bypass_csp=True`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_VERSION = "4.11.0"
SERIOUS = ("serious", "critical")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chat-axe-core"


@cache
def axe_source() -> str:
    folder = _cache_dir()
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    package = folder / "node_modules" / "axe-core" / "package.json"
    if not script.exists() or f'"version": "{AXE_VERSION}"' not in package.read_text():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the accessibility tests need npm (Node.js) to fetch axe-core")
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "package.json").exists():
            (folder / "package.json").write_text('{"name": "chat-axe-core", "private": true}\n')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"axe-core@{AXE_VERSION}"],
            cwd=folder,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return script.read_text()


def scan(page: Page, *, include: str | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA and
    best practices), each as {id, impact, help, targets}."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        """async (include) => {
          const r = await axe.run(include ? { include: [include] } : document, {
            runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
            rules: { "label-content-name-mismatch": { enabled: true } },
            resultTypes: ["violations"],
          });
          return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary),
          }));
        }""",
        include,
    )
    return [v for v in results if v["impact"] in SERIOUS]
