"""Vercel's own builder, offline, on a clean copy of the repo: it must honour vercel.json.

Runs `vercel build` (npm package `vercel`) with a local project link, so no account or network
beyond the package registries is needed, then reads the Build Output it wrote. This is the
check that the `functions` key really reaches the function (a key that names no entrypoint is
silently ignored) and that the bundle holds the app and its dependencies but not tests/ etc.

Needs the Vercel CLI (VERCEL_CLI, `vercel` on PATH, or node_modules/.bin/vercel in the repo)
and uv (on PATH or beside this Python). It fails, never skips, when they are missing.

Vercel's Python runtime package (vercel-runtime) requires Python >= 3.12, which Vercel's build
image has. The builder takes the best local Python; where that is older, a uv wrapper resolves
that one package for 3.12 (it is pure Python), so the build completes and its output can be
inspected. The bundle is then built for the local Python: fine for these checks, not to deploy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from api.transport.headers import page_headers

ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = (
    "install the Vercel CLI and uv, e.g.: mkdir -p /opt/vercel-cli && cd /opt/vercel-cli && "
    "npm init -y && npm pkg set overrides.sandbox=4.5.0 && npm install vercel@64.0.2 && "
    "export VERCEL_CLI=/opt/vercel-cli/node_modules/.bin/vercel; .venv/bin/pip install uv"
)
BUILD_TIMEOUT = 300
NOT_BUNDLED = ("tests/", "scripts/", "data/", ".venv/", ".ci/", "public/", "node_modules/")


def _vercel_cli() -> str:
    candidates = [os.environ.get("VERCEL_CLI"), shutil.which("vercel"), str(ROOT / "node_modules/.bin/vercel")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"the Vercel CLI is not installed: {INSTALL_HINT}")


def _uv() -> str:
    for candidate in (shutil.which("uv"), str(Path(sys.executable).parent / "uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"uv is not installed: {INSTALL_HINT}")


def _clean_copy(dest: Path) -> None:
    """What a Git deployment sees: tracked files and new files that are not ignored."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # What a developer's working copy also holds: none of it belongs in the function.
    for rel in ("data/redis/appendonly.aof", ".venv/pyvenv.cfg", ".venv/lib/python3/site-packages/x.py"):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text("local only\n")
    (dest / ".vercel").mkdir(exist_ok=True)
    (dest / ".vercel/project.json").write_text(
        json.dumps({"projectId": "x", "orgId": "x", "settings": {"framework": "fastapi"}})
    )


def _uv_wrapper(bin_dir: Path, real_uv: str) -> None:
    bin_dir.mkdir()
    wrapper = bin_dir / "uv"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# vercel-runtime needs Python >= 3.12 (Vercel's build image has it); resolve it for 3.12.\n"
        'case " $* " in\n'
        f'  *" pip install "*vercel-runtime*) exec "{real_uv}" "$@" --python-version 3.12 ;;\n'
        "esac\n"
        f'exec "{real_uv}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _bundle_files(func_dir: Path, config: dict[str, Any]) -> set[str]:
    """The function's files: `vercel build` lists most by reference (filePathMap), not copies."""
    files = set(config.get("filePathMap", {}))
    for path in func_dir.rglob("*"):
        if path.is_file():
            files.add(path.relative_to(func_dir).as_posix())
    return files


def test_vercel_build_bundles_the_app_with_the_configured_limits(tmp_path: Path) -> None:
    cli, real_uv = _vercel_cli(), _uv()
    project = tmp_path / "project"
    project.mkdir()
    _clean_copy(project)
    _uv_wrapper(tmp_path / "bin", real_uv)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VERCEL")}
    env.update(
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VERCEL_TELEMETRY_DISABLED="1",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
    )

    started = time.monotonic()
    build = subprocess.run(
        [cli, "build", "--yes"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    took = time.monotonic() - started
    assert build.returncode == 0, f"vercel build failed after {took:.0f}s:\n{build.stdout}\n{build.stderr}"

    output = project / ".vercel/output"
    func_dirs = sorted((output / "functions").rglob("*.func"))
    assert len(func_dirs) == 1, f"expected one function, got {func_dirs}"
    func_dir = func_dirs[0]
    config: dict[str, Any] = json.loads((func_dir / ".vc-config.json").read_text())
    wanted = json.loads((ROOT / "vercel.json").read_text())["functions"]["api/index.py"]

    # The functions key reached the function: a silently ignored one leaves the default.
    assert config.get("maxDuration") == wanted["maxDuration"], config.get("maxDuration")
    assert config.get("supportsResponseStreaming") is True
    assert str(config.get("runtime", "")).startswith("python")

    files = _bundle_files(func_dir, config)
    for needed in ("api/index.py", "api/app.py", "api/broker/lua/send.lua", "api/wire/wire.lua"):
        assert needed in files, f"{needed} is not in the bundle"
    for package in ("fastapi", "starlette", "redis", "pydantic_settings", "mangum", "PIL", "obstore", "multipart"):
        assert any(f"{package}/__init__.py" in f for f in files), f"{package} is not in the bundle"
    # Vercel refuses a function over 250 MB unzipped: the image and S3 libraries must stay small.
    size = _bundle_bytes(project, func_dir, config)
    assert size < 150 * 1024 * 1024, f"the function holds {size / 1048576:.0f} MB"
    leaked = sorted(f for f in files if f.startswith(NOT_BUNDLED))
    assert not leaked, f"bundled but not needed: {leaked[:20]}"

    # The function loads api.index and serves its `app` (not the Mangum `handler`).
    handler_module = str(config["handler"]).rsplit(".", 1)[0].replace(".", "/") + ".py"
    trampoline = (func_dir / handler_module).read_text()
    assert '"api.index"' in trampoline and '"app"' in trampoline, trampoline

    routes = json.loads((output / "config.json").read_text())["routes"]
    redirects = {r.get("src"): r for r in routes if r.get("status") in (301, 302, 307, 308)}
    assert redirects["^/$"]["headers"]["Location"] == "/chat/"
    assert redirects["^/chat$"]["headers"]["Location"] == "/chat/"
    assert (output / "static/chat/index.html").is_file(), "public/ is not served by the CDN"

    # vercel.json's headers reach what the CDN serves of the browser app, exactly as the app sends
    # them, and leave the function's own answers alone.
    for path in ("/chat/", "/chat/index.html", "/chat/js/app.js", "/chat/style.css", "/chat/icon.svg"):
        assert (output / "static" / path.lstrip("/")).exists(), f"{path} is not served by the CDN"
        assert _headers_for(routes, path) == page_headers(), path
    for path in ("/api/health", "/api/rooms/general/events"):
        assert "Content-Security-Policy" not in _headers_for(routes, path), path


def _bundle_bytes(project: Path, func_dir: Path, config: dict[str, Any]) -> int:
    """The function's size unzipped: its own files and those it lists by reference."""
    total = sum(p.stat().st_size for p in func_dir.rglob("*") if p.is_file())
    for source in config.get("filePathMap", {}).values():
        path = Path(source) if Path(source).is_absolute() else project / source
        if path.is_file():
            total += path.stat().st_size
    return total


def _headers_for(routes: list[dict[str, Any]], path: str) -> dict[str, str]:
    """The headers Vercel's routing adds to an answer for `path` (routes before any `handle`)."""
    headers: dict[str, str] = {}
    for route in routes:
        if "handle" in route:
            break
        if route.get("continue") and "headers" in route and re.match(route["src"], path):
            headers.update(route["headers"])
    return headers
