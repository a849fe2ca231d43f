"""The page under its own Content Security Policy: it works, breaks none of it, and cannot be framed.

Every browser test fails on a violation (conftest.py); these show that the policy is really
there and enforced, that the watch sees a violation when there is one, and that the page's
own kinds of connection (fetch, EventSource, WebSocket to its origin) are allowed.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import choose_name, expect_live, message, name_dialog, send

OPEN_SOCKET = """
(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); resolve("open"); };
  ws.onerror = () => resolve("error");
})
"""
# Each tries one thing the policy forbids and answers the directive its violation names.
FORBIDDEN = {
    "inline style": "(el) => el.setAttribute('style', 'color: red')",
    "inline script": "(el) => el.append(Object.assign(document.createElement('script'), {text: 'window.ran = 1'}))",
    "another origin": "() => fetch(location.href.replace('127.0.0.1', 'localhost')).catch(() => {})",
}


def _violate(attempt: str) -> str:
    """A function for page.evaluate: it makes the attempt, then answers the directive violated."""
    return f"""() => new Promise((resolve) => {{
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), {{ once: true }});
      try {{ ({attempt})(document.body); }} catch (e) {{ /* Trusted Types throw as they refuse */ }}
    }})"""


def test_the_page_runs_under_its_policy_without_a_violation(chat: Chat, live_server: Any) -> None:
    page = chat.watch(chat.person(None).new_page())
    response = page.goto(f"{chat.base_url}/chat/")
    assert response is not None and response.ok
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in policy, policy
    assert response.headers["x-content-type-options"] == "nosniff"

    # Sign in, send, see it: scripts, styles, the icon, fetch and the EventSource stream.
    choose_name(page, "csp-tester")
    expect(name_dialog(page)).to_be_hidden()
    expect_live(page)
    send(page, "under a strict policy")
    expect(message(page, "under a strict policy")).to_have_count(1)
    # A WebSocket to its own origin is allowed too.
    socket_url = chat.base_url.replace("http://", "ws://") + "/api/rooms/general/ws"
    assert page.evaluate(OPEN_SOCKET, socket_url) == "open"
    assert chat.violations == []

    # And the watch sees a violation when there is one.
    found = {what: page.evaluate(_violate(attempt)) for what, attempt in FORBIDDEN.items()}
    assert found == {
        "inline style": "style-src-attr",
        "inline script": "require-trusted-types-for",
        "another origin": "connect-src",
    }
    assert page.evaluate("window.ran") is None
    assert len([v for v in chat.violations if not v.startswith("console: ")]) == len(FORBIDDEN), chat.violations
    chat.violations.clear()


def test_the_page_cannot_be_framed(chat: Chat, live_server: Any) -> None:
    page = chat.watch(chat.person(None).new_page())
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=10_000):
        page.set_content(f'<iframe src="{chat.base_url}/chat/" width="800" height="600"></iframe>')
    expect(page.frame_locator("iframe").locator("#composer")).to_have_count(0)
    chat.violations.clear()
