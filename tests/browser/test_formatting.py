"""Formatting in messages (bold, italics, code, code blocks, quotes, links) and @mentions, all
built as DOM nodes: what people write is never HTML."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import post, signed_in

FORMATTED = "\n".join(
    [
        "**bold** and *italic* and _also italic_ and ~~gone~~, snake_case_stays and 2*3*4",
        "`<b>code</b>` then [the docs](https://example.com/docs) and https://example.com/x.",
        "> quoted **line**",
        "> second quoted",
        "after the quote",
        "```",
        "def f(x):",
        "    return **x**  # <script>alert(1)</script>",
        "```",
        "**<img src=x onerror=alert(1)>** [bad](javascript:alert(2)) @nobody",
    ]
)


def test_messages_show_formatting_as_dom_nodes(chat: Chat) -> None:
    page = chat.open(chat.person("fern"))
    with signed_in(chat.base_url, "gil") as gil:
        post(gil, FORMATTED)
    text = page.locator("#messages .msg .text")
    expect(text).to_have_count(1)
    expect(text.locator(":scope > strong")).to_have_text(["bold", "<img src=x onerror=alert(1)>"])
    expect(text.locator(":scope > em")).to_have_text(["italic", "also italic"])
    expect(text.locator(":scope > s")).to_have_text(["gone"])
    expect(text.locator(":scope > code")).to_have_text(["<b>code</b>"])
    expect(text).to_contain_text("snake_case_stays and 2*3*4")
    links = text.locator("a")
    expect(links).to_have_text(["the docs", "https://example.com/x"])
    expect(links.first).to_have_attribute("href", "https://example.com/docs")
    expect(links.first).to_have_attribute("rel", "noopener noreferrer")
    expect(text.locator("blockquote")).to_have_text("quoted line\nsecond quoted")
    expect(text.locator("blockquote strong")).to_have_text("line")
    expect(text.locator("pre code")).to_have_text("def f(x):\n    return **x**  # <script>alert(1)</script>")
    expect(text).to_contain_text("[bad](javascript:alert(2))")
    assert page.locator("#messages img, #messages script, #messages b").count() == 0
    expect(text.locator(".mention")).to_have_text(["@nobody"])


def test_mentions_of_you_stand_out(chat: Chat) -> None:
    page = chat.open(chat.person("hal"))
    with signed_in(chat.base_url, "ivy") as ivy:
        post(ivy, "hi @hal, see @ivy's note")
        post(ivy, "not for you, @ivy")
    mentioned = page.locator("#messages .msg.mentioned")
    expect(mentioned).to_have_count(1)
    expect(mentioned.locator(".mention.me")).to_have_text(["@hal"])
    expect(page.locator("#messages .mention:not(.me)")).to_have_text(["@ivy", "@ivy"])
