"""Small media files made on the fly for tests: no binary fixtures in the repository."""

import io
import struct

from PIL import Image


def png_bytes(width: int = 64, height: int = 48, color: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48, *, with_gps: bool = False) -> bytes:
    """A JPEG; with_gps adds EXIF camera and GPS tags (a diplomat's whereabouts)."""
    image = Image.new("RGB", (width, height), "darkred")
    exif = Image.Exif()
    if with_gps:
        exif[0x010F] = "CameraMaker"  # Make
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (48.0, 51.0, 24.0)
        gps[3] = "E"
        gps[4] = (2.0, 21.0, 3.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(seconds: float = 3.0, padding: int = 1024) -> bytes:
    """A minimal MP4 container (ftyp, moov/mvhd with the duration, mdat) that type and
    duration checks accept. It holds no playable frames: networks in the sandbox store it
    without decoding."""
    timescale = 1000
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    mvhd_payload = (
        struct.pack(">B3x", 0)  # version 0, flags
        + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))  # times, scale, duration
        + struct.pack(">IH10x", 0x00010000, 0x0100)  # rate, volume, reserved
        + struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)  # matrix
        + bytes(24)  # pre-defined
        + struct.pack(">I", 2)  # next track id
    )
    moov = _box(b"moov", _box(b"mvhd", mvhd_payload))
    mdat = _box(b"mdat", bytes(padding))
    return ftyp + moov + mdat
