"""Files made for the tests: photos with metadata, hostile files, a decompression bomb."""

from __future__ import annotations

import io

from PIL import Image

GPS_MARK = "GPS-SECRET-PLACE"


def photo(width: int = 64, height: int = 32, orientation: int = 6, fmt: str = "JPEG") -> bytes:
    """A picture stored sideways (EXIF orientation 6: shown turned 90° clockwise), with GPS data
    and a comment that must never leave the server."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = GPS_MARK  # ImageDescription
    exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 34.0, 56.0), 3: "E", 4: (7.0, 8.0, 9.0)})
    out = io.BytesIO()
    options: dict[str, object] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        options["comment"] = GPS_MARK.encode()
    image.save(out, fmt, **options)
    return out.getvalue()


def png(width: int = 8, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def bomb(side: int = 10_000) -> bytes:
    """A PNG of side x side pixels (100 MP by default) in a few kB: decoding it would take
    hundreds of MB."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
