"""A file as clients see it, built here and nowhere else: in the upload's answer and, stored
ready-made with the file's metadata, in every message that attaches it."""

from __future__ import annotations

import json


def file_url(file_id: str) -> str:
    return f"/api/files/{file_id}"


def thumbnail_url(file_id: str) -> str:
    return f"/api/files/{file_id}/thumbnail"


def file_json(
    file_id: str, name: str, media_type: str, size: int, width: int | None = None, height: int | None = None
) -> str:
    """{"id", "name", "type", "size", "url"} and, for images, "width", "height", "thumbnail_url"."""
    fields: dict[str, object] = {"id": file_id, "name": name, "type": media_type, "size": size}
    fields["url"] = file_url(file_id)
    if width is not None and height is not None:
        fields.update(width=width, height=height, thumbnail_url=thumbnail_url(file_id))
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def attached_file_ids(stored_body: str, room: str) -> list[str]:
    """The ids of the files a stored message body holds (only ids of `room`'s files)."""
    if '"files":' not in stored_body:
        return []
    try:
        files = json.loads("{" + stored_body).get("files")
    except (ValueError, AttributeError):
        return []
    if not isinstance(files, list):
        return []
    ids = [f.get("id") for f in files if isinstance(f, dict)]
    return [i for i in ids if isinstance(i, str) and i.startswith(room + ".")]
