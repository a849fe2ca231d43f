"""Pictures: only four formats, sized before decoding, upright, without metadata, thumbnailed."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from PIL import Image, PngImagePlugin

from api.domain.errors import Code, DomainError
from api.domain.images import THUMBNAIL_PX, process
from tests.files.pictures import GPS_MARK, bomb, photo, png

CAP = 40_000_000


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_photos_come_out_upright_and_without_metadata(fmt: str) -> None:
    picture = process(photo(1200, 600, fmt=fmt), CAP)
    image, thumb = picture.image, picture.thumbnail
    assert (image.width, image.height) == (600, 1200)
    assert GPS_MARK.encode() not in image.data and b"Exif" not in image.data and b"eXIf" not in image.data
    with opened(image.data) as out:
        assert out.format == fmt and out.size == (600, 1200) and not out.getexif()
    assert (thumb.type, thumb.width, thumb.height) == ("image/webp", 240, THUMBNAIL_PX)


def test_text_chunks_and_comments_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", GPS_MARK)
    out = io.BytesIO()
    Image.new("RGBA", (20, 10)).save(out, "PNG", pnginfo=info)
    assert GPS_MARK.encode() not in process(out.getvalue(), CAP).image.data


def test_animations_stay_animated() -> None:
    frames = [Image.new("RGB", (30, 20), (i * 80, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, comment=GPS_MARK)
    picture = process(out.getvalue(), CAP)
    assert GPS_MARK.encode() not in picture.image.data
    with opened(picture.image.data) as gif:
        assert getattr(gif, "n_frames", 1) == 3 and gif.info["duration"] == 100


@pytest.mark.parametrize(("side", "frames"), [(10_000, 1), (7_000, 1), (1_000, 41)])
def test_too_many_pixels_are_refused_from_the_header(side: int, frames: int) -> None:
    if frames == 1:
        data = bomb(side)
    else:
        out = io.BytesIO()
        first = Image.new("1", (side, side))
        rest = [Image.new("1", (side, side), i % 2) for i in range(1, frames)]
        first.save(out, "GIF", save_all=True, append_images=rest)
        data = out.getvalue()
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as err:
            process(data, CAP)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.code is Code.IMAGE_TOO_LARGE
    assert peak < 5_000_000, f"{peak} bytes taken to refuse it"


@pytest.mark.parametrize(
    "data",
    [
        png()[:40],  # cut short
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"BM" + b"\x00" * 60,  # BMP: Pillow reads it, this app does not
    ],
)
def test_anything_else_is_no_image(data: bytes) -> None:
    with pytest.raises(DomainError) as err:
        process(data, CAP)
    assert err.value.code is Code.INVALID_IMAGE


def test_other_formats_pillow_knows_are_refused() -> None:
    for fmt in ("BMP", "TIFF", "ICO"):
        out = io.BytesIO()
        Image.new("RGB", (16, 16)).save(out, fmt)
        with pytest.raises(DomainError) as err:
            process(out.getvalue(), CAP)
        assert err.value.code is Code.INVALID_IMAGE, fmt
