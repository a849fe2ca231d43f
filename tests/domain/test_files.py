"""Files' rules: types from bytes, shown names, ids, dispositions, what a send may attach."""

from __future__ import annotations

import pytest

from api.domain.errors import Code, DomainError
from api.domain.files import check_file_ids, clean_name, content_disposition, file_room, new_file_id, sniff_type
from tests.files.pictures import HTML, SVG_WITH_SCRIPT, photo, png


@pytest.mark.parametrize(
    ("head", "media"),
    [
        (photo()[:512], "image/jpeg"),
        (png()[:512], "image/png"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"PK\x03\x04rest", "application/zip"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (SVG_WITH_SCRIPT, "image/svg+xml"),
        (b"  <svg onload=alert(1)>", "image/svg+xml"),
        (HTML, "text/html"),
        (b"<!-- hi --><html>", "text/html"),
        (b"<HTML><BODY>", "text/html"),
        (b"hello\nworld", "text/plain"),
        ("caf\u00e9".encode()[:4], "text/plain"),  # a character cut at the end of the sample
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"\xff\xfe\xfa\xfb\xfc and more text", "application/octet-stream"),
        (b"", "text/plain"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, media: str) -> None:
    assert sniff_type(head) == media


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("bad\x00na\x1bme.txt", "badname.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        (".htaccess", "htaccess"),
        ("", "file"),
        (None, "file"),
        ("x" * 300, "x" * 200),
        ("\ud800lone.txt", "lone.txt"),
    ],
)
def test_shown_names(name: object, shown: str) -> None:
    assert clean_name(name) == shown


def test_dispositions_quote_every_name() -> None:
    assert content_disposition("inline", "a.jpg") == "inline; filename=\"a.jpg\"; filename*=UTF-8''a.jpg"
    header = content_disposition("attachment", 'é"; x=1.txt')
    assert header == "attachment; filename=\"_'; x=1.txt\"; filename*=UTF-8''%C3%A9%22%3B%20x%3D1.txt"


def test_ids_name_their_room() -> None:
    file_id = new_file_id("my-room")
    assert file_room(file_id) == "my-room" and len(file_id) == len("my-room.") + 22
    for bad in ("nope", "general.short", "Gen.AAAAAAAAAAAAAAAAAAAAAA", "../x.AAAAAAAAAAAAAAAAAAAAAA"):
        with pytest.raises(DomainError) as err:
            file_room(bad)
        assert err.value.code is Code.NO_SUCH_FILE


def test_what_a_send_may_attach() -> None:
    a, b = new_file_id("general"), new_file_id("general")
    assert check_file_ids(None, "general") == []
    assert check_file_ids([a, b, a], "general") == [a, b]
    for value, code in (
        ("x", Code.INVALID_REQUEST),
        ([1], Code.INVALID_REQUEST),
        ([new_file_id("general") for _ in range(11)], Code.TOO_MANY_FILES),
        ([new_file_id("random")], Code.FILE_NOT_ATTACHABLE),
        (["general/../x"], Code.FILE_NOT_ATTACHABLE),
    ):
        with pytest.raises(DomainError) as err:
            check_file_ids(value, "general")
        assert err.value.code is code
