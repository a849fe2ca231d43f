"""Sharing files in the browser, on the S3 store (SeaweedFS): one person attaches a picture and a
document, the other sees the picture load (through the signed redirect, under the page's CSP)
and opens it full size; a refused upload says why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.files.pictures import bomb, photo
from tests.seaweed import SeaweedFS, s3_settings

LOADED = "(img) => img.complete && img.naturalWidth > 0"


def test_a_picture_attached_by_one_loads_for_another(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any], seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    server = server_factory(**s3_settings(seaweedfs))
    chat = chat_factory(server.url)
    ana = chat.open(chat.person("ana"))
    ben = chat.open(chat.person("ben"))
    picture = tmp_path / "sunset.jpg"
    picture.write_bytes(photo(640, 320))  # stored sideways: 320 x 640 upright
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"remember the milk\n")

    ana.locator("#attach-input").set_input_files([str(picture), str(notes)])
    expect(ana.locator(".attach-item")).to_have_count(2)
    expect(ana.locator(".attach-item.done")).to_have_count(2)
    ana.locator("#composer-input").fill("look at this")
    ana.locator("#composer-input").press("Enter")
    expect(ana.locator(".attach-tray")).to_be_hidden()

    shown = ben.locator(".msg", has_text="look at this")
    image = shown.locator(".file-picture img")
    # Its box is reserved before it loads: the upright picture scaled into 320 px.
    expect(image).to_have_attribute("width", "160")
    expect(image).to_have_attribute("height", "320")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate(LOADED), "the picture did not load"
    chip = shown.locator(".file-chip")
    expect(chip).to_contain_text("notes.txt")
    expect(chip).to_contain_text("Text · 18 B")

    image.click()
    full = ben.locator(".lightbox-img")
    expect(full).to_be_visible()
    ben.wait_for_function("() => { const i = document.querySelector('.lightbox-img'); return i.naturalWidth === 320 }")
    ben.keyboard.press("Escape")
    expect(full).to_be_hidden()


def test_a_refused_upload_says_why(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any], tmp_path: Path
) -> None:
    server = server_factory(files_url=f"file://{tmp_path / 'files'}", files_max_bytes="50000")
    chat = chat_factory(server.url)
    ana = chat.open(chat.person("ana"))
    huge = tmp_path / "huge.bin"
    huge.write_bytes(b"x" * 60000)
    trap = tmp_path / "trap.png"
    trap.write_bytes(bomb())
    ana.locator("#attach-input").set_input_files([str(huge), str(trap)])
    errors = ana.locator(".attach-item.failed .attach-error")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("huge.bin is 59 KB; the limit is 49 KB")
    expect(errors.nth(1)).to_contain_text("40,000,000 pixels")
    ana.locator("#composer-input").fill("with them")
    ana.locator("#composer-input").press("Enter")
    expect(ana.locator("#composer-error")).to_contain_text("Retry or remove the upload that failed.")
    for name in ("huge.bin", "trap.png"):
        ana.get_by_role("button", name=f"Remove {name}").click()
    expect(ana.locator(".attach-tray")).to_be_hidden()
