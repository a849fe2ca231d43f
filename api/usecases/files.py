"""Sharing files: uploads (through the app, or signed straight to an S3 store), downloads under
the room's access rule, and deleting a message's files."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from api.broker import keys
from api.broker.blobs import BlobStore, Headers
from api.broker.files import PENDING, READY, FileMeta, FileStore, blob_keys, thumbnail_key
from api.broker.rates import RateCounters
from api.broker.rooms import RoomStore
from api.domain import images
from api.domain.errors import Code, DomainError
from api.domain.files import (
    DOWNLOAD_TYPE,
    IMAGE_TYPES,
    SNIFF_BYTES,
    clean_name,
    content_disposition,
    file_room,
    human_size,
    new_file_id,
    sniff_type,
)
from api.domain.identity import Identity
from api.domain.rooms import require_read
from api.wire.files import attached_file_ids, file_json

logger = logging.getLogger(__name__)

# Decoding a picture takes up to 4 bytes a pixel: a few at a time per process bounds the memory.
DECODERS = 2
STORED_CACHE = "private, max-age=31536000, immutable"  # in the store, behind URLs signed per request


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    direct_max_bytes: int
    per_hour: int
    max_pixels: int


@dataclass(frozen=True)
class Download:
    where: Path | str  # a local file, or a signed URL to redirect to
    headers: dict[str, str]


@dataclass(frozen=True)
class DirectUpload:
    id: str
    url: str
    fields: dict[str, str]
    max_bytes: int


def _stored(media: str, kind: str, name: str) -> Headers:
    return Headers(media, content_disposition(kind, name), STORED_CACHE)


class Files:
    def __init__(
        self, store: FileStore, blobs: BlobStore, rooms: RoomStore, counters: RateCounters, limits: FileLimits
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._rooms = rooms
        self._counters = counters
        self.limits = limits
        self._decoders = asyncio.Semaphore(DECODERS)

    @property
    def direct_uploads(self) -> bool:
        return self._blobs.origin is not None

    async def _may_post(self, room: str, who: Identity) -> None:
        require_read(room, await self._rooms.access(room, who), who)
        wait = await self._counters.hit([keys.file_rate(who.user_id)], self.limits.per_hour, 3600)
        if wait:
            retry = max(1, -(-wait // 1000))
            raise DomainError(Code.RATE_LIMITED, f"too many uploads; try again in {retry} s", retry_after=retry)

    def _check_size(self, size: int, limit: int) -> None:
        if size > limit:
            raise DomainError(Code.FILE_TOO_LARGE, f"the file is {human_size(size)}; the limit is {human_size(limit)}")

    async def upload(self, room: str, who: Identity, name: object, data: bytes) -> str:
        """Stores an upload for `who` to attach in `room`; the file's JSON."""
        self._check_size(len(data), self.limits.max_bytes)
        if not data:
            raise DomainError(Code.INVALID_REQUEST, "the file is empty")
        await self._may_post(room, who)
        await self._sweep()
        meta = await self._store_bytes(new_file_id(room), room, who, clean_name(name), data)
        await self._store.save(meta)
        return meta.json

    async def _store_bytes(self, file_id: str, room: str, who: Identity, name: str, data: bytes) -> FileMeta:
        media = sniff_type(data[:SNIFF_BYTES])
        if media not in IMAGE_TYPES:
            await self._blobs.put(file_id, data, _stored(DOWNLOAD_TYPE, "attachment", name))
            shown = file_json(file_id, name, media, len(data))
            return FileMeta(file_id, room, who.user_id, name, media, len(data), False, shown)
        async with self._decoders:
            picture = await asyncio.to_thread(images.process, data, self.limits.max_pixels)
        image, thumb = picture.image, picture.thumbnail
        await self._blobs.put(file_id, image.data, _stored(image.type, "inline", name))
        thumb_name = name.rsplit(".", 1)[0] + ".webp"
        await self._blobs.put(thumbnail_key(file_id), thumb.data, _stored(thumb.type, "inline", thumb_name))
        shown = file_json(file_id, name, image.type, len(image.data), image.width, image.height)
        return FileMeta(file_id, room, who.user_id, name, image.type, len(image.data), True, shown, thumbnail=True)

    async def download(self, file_id: str, who: Identity | None, thumbnail: bool = False) -> Download:
        """Where to read a file from, and what to serve it with, once `who` may read its room."""
        room = file_room(file_id)
        meta = await self._store.get(file_id)
        # An upload no message holds yet is its uploader's alone.
        if meta is None or meta.state != READY or (not meta.message and (who is None or who.user_id != meta.owner)):
            raise DomainError(Code.NO_SUCH_FILE, "no such file")
        access = await self._rooms.access(room, who)
        require_read(room, access, who)
        if thumbnail and not meta.thumbnail:
            raise DomainError(Code.NO_SUCH_FILE, "this file has no thumbnail")
        if meta.inline:
            media = "image/webp" if thumbnail else meta.type
            disposition = content_disposition("inline", meta.name)
        else:
            media, disposition = DOWNLOAD_TYPE, content_disposition("attachment", meta.name)
        key = thumbnail_key(file_id) if thumbnail else file_id
        where = await self._blobs.locate(key, Headers(media, disposition, STORED_CACHE))
        if isinstance(where, Path):
            cache = "private, no-cache" if access.private else "public, max-age=31536000, immutable"
        else:  # the signed URL it redirects to expires
            cache = "private, no-cache" if access.private else "public, max-age=60"
        return Download(where, {"Content-Type": media, "Content-Disposition": disposition, "Cache-Control": cache})

    async def delete(self, file_ids: list[str]) -> None:
        """Deletes files and their bytes (a deleted message's)."""
        await self._blobs.delete([key for file_id in file_ids for key in blob_keys(file_id)])
        await self._store.forget(file_ids)

    async def message_deleted(self, room: str, stored_body: str) -> None:
        """Deletes the files a deleted message held (its stored body, api/wire/message.py)."""
        file_ids = attached_file_ids(stored_body, room)
        if file_ids:
            await self.delete(file_ids)

    async def run(self, every: float) -> None:
        """Sweeps on a timer too, so that a process nobody uploads to still deletes what is due."""
        while True:
            await asyncio.sleep(every)
            try:
                await self._sweep()
            except Exception as exc:  # a store or Redis away: the next round or upload tries again
                logger.warning("sweeping files failed: %r", exc)

    async def _sweep(self) -> None:
        """Deletes a few files per upload: uploads that expired unattached, and files whose
        message was trimmed from its room's stream (STREAM_MAXLEN)."""
        expired = await self._store.expired()
        if expired:
            logger.info("deleting %d files: unattached uploads, or their message no longer kept", len(expired))
            await self.delete(expired)

    async def start_direct(self, room: str, who: Identity, name: object, size: object) -> DirectUpload:
        """A signed form to upload a large file straight to the S3 store."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise DomainError(Code.INVALID_REQUEST, "'size' must be the file's size in bytes")
        self._check_size(size, self.limits.direct_max_bytes)
        await self._may_post(room, who)
        file_id, shown = new_file_id(room), clean_name(name)
        form = await self._blobs.upload_form(
            file_id, self.limits.direct_max_bytes, _stored(DOWNLOAD_TYPE, "attachment", shown)
        )
        if form is None:
            limit = human_size(self.limits.max_bytes)
            raise DomainError(Code.FILE_TOO_LARGE, f"the limit is {limit} (this server takes no direct uploads)")
        pending = FileMeta(file_id, room, who.user_id, shown, DOWNLOAD_TYPE, size, False, "", state=PENDING)
        await self._store.save(pending)
        return DirectUpload(file_id, form.url, form.fields, self.limits.direct_max_bytes)

    async def complete_direct(self, room: str, who: Identity, file_id: str) -> str:
        """Checks what a direct upload stored; the file's JSON."""
        meta = await self._store.get(file_id) if file_room(file_id) == room else None
        if meta is None or meta.owner != who.user_id:
            raise DomainError(Code.NO_SUCH_FILE, "no such upload")
        if meta.state == READY:
            return meta.json
        size = await self._blobs.size(file_id)
        if size is None:
            raise DomainError(Code.UPLOAD_INCOMPLETE, "the store holds no bytes for this upload: send the file first")
        if size > self.limits.direct_max_bytes:
            await self.delete([file_id])
            self._check_size(size, self.limits.direct_max_bytes)
        media = sniff_type(await self._blobs.head(file_id, SNIFF_BYTES))
        if media in IMAGE_TYPES and size <= self.limits.max_bytes * 4:
            done = await self._store_bytes(file_id, room, who, meta.name, await self._blobs.read(file_id))
        else:
            shown = file_json(file_id, meta.name, media, size)
            done = FileMeta(file_id, room, who.user_id, meta.name, media, size, False, shown)
        await self._store.save(done)
        return done.json
