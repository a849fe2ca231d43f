"""The file JSON, byte for byte, and reading files back out of a stored message body."""

from __future__ import annotations

import pytest

from api.wire.files import attached_file_ids, file_json


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("general.AAAAAAAAAAAAAAAAAAAAAA", "notes.txt", "text/plain", 5),
            '{"id":"general.AAAAAAAAAAAAAAAAAAAAAA","name":"notes.txt","type":"text/plain","size":5,'
            '"url":"/api/files/general.AAAAAAAAAAAAAAAAAAAAAA"}',
        ),
        (
            ("r.B", 'café "1".jpg', "image/jpeg", 10, 3, 4),
            '{"id":"r.B","name":"café \\"1\\".jpg","type":"image/jpeg","size":10,"url":"/api/files/r.B",'
            '"width":3,"height":4,"thumbnail_url":"/api/files/r.B/thumbnail"}',
        ),
    ],
)
def test_file_json(args: tuple[object, ...], expected: str) -> None:
    assert file_json(*args) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ('"text":"hi"}', []),
        ('"text":"hi","files":[{"id":"general.a"},{"id":"general.b"}]}', ["general.a", "general.b"]),
        ('"text":"hi","files":[{"id":"other.a"}]}', []),  # another room's id: never ours to delete
        ('"text":"\\"files\\": x"}', []),
        ('"files":"x"}', []),
        ("not json", []),
    ],
)
def test_attached_file_ids(body: str, ids: list[str]) -> None:
    assert attached_file_ids(body, "general") == ids
