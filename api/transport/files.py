"""HTTP: upload a file to a room (multipart, or signed straight to the S3 store), download it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.domain.errors import Code, DomainError
from api.domain.files import FILE_ID, MAX_FILES_PER_MESSAGE, human_size
from api.transport.body import Larger
from api.transport.deps import FilesDep, RoomDep, UserDep, ViewerDep
from api.transport.schemas import READ, WRITE, DirectUploadForm, FileLimitsInfo, SharedFile, answers, hint
from api.usecases.files import Download

router = APIRouter()

# What a file answer may do when opened on its own: nothing but show an image.
FILE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_POLICY,
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Multipart framing around the file: its boundaries and part headers (a long file name included).
MULTIPART_OVERHEAD = 16384
UPLOAD_PATH = re.compile(r"/api/rooms/[^/]+/files")

FileIdPath = Annotated[str, PathParam(**hint(f"^{FILE_ID.pattern}$", "A file id from an upload."))]


def upload_limit(max_bytes: int) -> Larger:
    """The body limit of uploads: the file's own and its framing, before anything is parsed."""
    return (
        UPLOAD_PATH,
        max_bytes + MULTIPART_OVERHEAD,
        Code.FILE_TOO_LARGE,
        f"the file is over the limit of {human_size(max_bytes)}",
    )


def _json(text: str, status: int = 200) -> Response:
    return Response(text, status, media_type="application/json")


@router.get("/api/files", response_model=None, responses=answers({200: FileLimitsInfo}))
async def file_limits(files: FilesDep) -> dict[str, Any]:
    limits = files.limits
    return {
        "max_bytes": limits.max_bytes,
        "direct_max_bytes": limits.direct_max_bytes if files.direct_uploads else None,
        "max_files": MAX_FILES_PER_MESSAGE,
    }


@router.post(
    "/api/rooms/{room}/files",
    status_code=201,
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
    responses=answers({201: SharedFile}, *WRITE, 404, 429),
)
async def upload(request: Request, room: RoomDep, files: FilesDep, who: UserDep) -> Response:
    """Uploads one file (multipart part `file`), to attach to a message in this room within
    FILES_UNATTACHED_SECONDS: `{"text", "files": [id]}`."""
    async with request.form(max_files=1, max_fields=4, max_part_size=4096) as form:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise DomainError(Code.INVALID_REQUEST, "send the file as multipart/form-data, in a part named 'file'")
        data = await part.read(files.limits.max_bytes + 1)
        shown = await files.upload(room, who, part.filename, data)
    return _json(shown, 201)


def _serve(download: Download) -> Response:
    headers = {**download.headers, **FILE_HEADERS}
    if isinstance(download.where, Path):
        if not os.path.isfile(download.where):
            raise DomainError(Code.NO_SUCH_FILE, "the file's bytes are gone")
        media = headers.pop("Content-Type")
        return FileResponse(download.where, media_type=media, headers=headers)
    headers.pop("Content-Type")
    headers.pop("Content-Disposition")
    return RedirectResponse(download.where, status_code=302, headers=headers)


_DOWNLOAD_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file's bytes", "content": {"application/octet-stream": {}, "image/*": {}}},
    302: {"description": "With an S3 store: to a short-lived signed URL of the bytes"},
    **answers({}, *READ, 404),
}


@router.get("/api/files/{file_id}", response_model=None, responses=_DOWNLOAD_ANSWERS)
async def download(file_id: FileIdPath, files: FilesDep, who: ViewerDep) -> Response:
    return _serve(await files.download(file_id, who))


@router.get("/api/files/{file_id}/thumbnail", response_model=None, responses=_DOWNLOAD_ANSWERS)
async def thumbnail(file_id: FileIdPath, files: FilesDep, who: ViewerDep) -> Response:
    return _serve(await files.download(file_id, who, thumbnail=True))


class NewUpload(BaseModel):
    name: Annotated[str, Field(max_length=1000, description="The file's name, shown to people.")]
    size: Annotated[int, Field(ge=1, description="The file's size in bytes.")]


@router.post(
    "/api/rooms/{room}/uploads",
    status_code=201,
    response_model=None,
    responses=answers({201: DirectUploadForm}, *WRITE, 429),
)
async def start_direct_upload(body: NewUpload, room: RoomDep, files: FilesDep, who: UserDep) -> Response:
    """A file over FILES_MAX_BYTES, on an S3 store: POST `fields` then the file (last, as part
    `file`) to `url`, then POST .../uploads/{id}/complete."""
    started = await files.start_direct(room, who, body.name, body.size)
    form = {"id": started.id, "url": started.url, "fields": started.fields, "max_bytes": started.max_bytes}
    return _json(json.dumps(form), 201)


@router.post(
    "/api/rooms/{room}/uploads/{file_id}/complete",
    response_model=None,
    responses=answers({200: SharedFile}, *WRITE, 404),
)
async def complete_direct_upload(file_id: FileIdPath, room: RoomDep, files: FilesDep, who: UserDep) -> Response:
    return _json(await files.complete_direct(room, who, file_id))
