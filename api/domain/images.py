"""Pictures people share: decoded by Pillow with only the JPEG, PNG, GIF and WebP decoders, sized
before any pixel is decoded, turned upright, re-encoded without their metadata, and thumbnailed.

Pure and synchronous: the caller runs it in a worker thread, a few at a time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from api.domain.errors import Code, DomainError

# IMAGE_MAX_PIXELS is checked on the header, before any decoding; Pillow's own check, at fixed
# numbers, would only warn below twice its limit.
Image.MAX_IMAGE_PIXELS = None
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
THUMBNAIL_PX = 480
# What an animation needs to play as it did; everything else in `info` (EXIF, XMP, comments,
# text chunks) is dropped. ICC profiles are colour, not metadata: kept so photos look right.
_KEPT_INFO = ("duration", "loop", "transparency", "background", "disposal", "blend", "default_image")


@dataclass(frozen=True)
class Rendition:
    data: bytes
    type: str
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    image: Rendition
    thumbnail: Rendition


def process(data: bytes, max_pixels: int) -> Picture:
    """The picture re-encoded and its thumbnail; 422 when it is no image of the four formats, or
    larger than `max_pixels` (width x height x frames), known from its header alone."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            frames = getattr(image, "n_frames", 1)
            width, height = image.size
            if width * height * frames > max_pixels:
                raise DomainError(
                    Code.IMAGE_TOO_LARGE,
                    f"the image is {width}x{height} pixels"
                    + (f" x {frames} frames" if frames > 1 else "")
                    + f"; the limit is {max_pixels:,} pixels",
                )
            return _render(image, frames)
    except DomainError:
        raise
    except MemoryError:
        raise DomainError(Code.IMAGE_TOO_LARGE, "the image is too large to decode") from None
    except Exception as exc:  # Pillow refuses broken input with many kinds of error
        raise DomainError(Code.INVALID_IMAGE, f"not a readable JPEG, PNG, GIF or WebP image ({exc})") from None


def _render(image: Image.Image, frames: int) -> Picture:
    fmt = image.format or "PNG"
    icc = image.info.get("icc_profile")
    if frames > 1:
        full = _encode(image, fmt, icc, save_all=True)
        image.seek(0)
        still = image.convert("RGBA")
    else:
        image.load()
        upright = ImageOps.exif_transpose(image)
        upright.info = {key: upright.info[key] for key in _KEPT_INFO if key in upright.info}
        full = _encode(upright, fmt, icc, save_all=False)
        still = upright
    thumb = still.convert("RGBA") if still.mode not in ("RGB", "RGBA") else still.copy()
    thumb.info = {}
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80, method=4)
    return Picture(full, Rendition(out.getvalue(), "image/webp", thumb.width, thumb.height))


def _encode(image: Image.Image, fmt: str, icc: object, save_all: bool) -> Rendition:
    if not save_all:
        image = _for_format(image, fmt)
    else:
        image.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    options: dict[str, object] = {"exif": b""}
    if isinstance(icc, bytes) and fmt != "GIF":
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options.update(quality=88)
    elif fmt == "WEBP":
        options.update(quality=88, method=4)
    elif fmt == "GIF":
        options = {"comment": b""} if not save_all else {}
    out = io.BytesIO()
    image.save(out, fmt, save_all=save_all, **options)
    return Rendition(out.getvalue(), TYPES[fmt], image.width, image.height)


def _for_format(image: Image.Image, fmt: str) -> Image.Image:
    """`image` in a mode the format can write."""
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        return image.convert("RGB")
    if fmt == "WEBP" and image.mode not in ("RGB", "RGBA"):
        return image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return image
