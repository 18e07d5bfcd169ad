"""What officers upload: recognise it, refuse what we cannot publish, clean what we keep.

Used twice: when an officer uploads (forms call `inspect_media`, then store the output of
`strip_metadata` for images, never the original) and before media leaves (adapters call
`check_against_limits` from their `validate()`).

Policy, in short:

- The type comes from the content, never from the file name: JPEG, PNG, GIF and WebP images
  (decoded by Pillow, restricted to those four formats so that no other decoder, such as
  EPS's Ghostscript, ever runs on an upload) and MP4 or QuickTime videos (recognised by
  their `ftyp` box; the duration is read from `moov/mvhd`, parsed here without ffmpeg).
- An image must decode completely: a file that merely starts like an image (a GIF header
  followed by HTML) is refused. Image dimensions are capped before decoding, so a small file
  that declares a huge picture (a decompression bomb) is refused without using memory.
- A polyglot is refused: markup or script (PHP, HTML, JavaScript) in the parts of an image
  that are not pixels — its headers, metadata, comments, or anything after the image's end.
  Trailing data alone is accepted, because phones append legitimate data after a JPEG's end
  (multi-picture files, Ultra HDR gain maps, motion-photo videos); it is dropped when the
  image is re-encoded.
- Images are re-encoded by `strip_metadata`: EXIF (GPS, camera serial numbers), XMP, IPTC,
  comments and trailing data are gone; the orientation is applied to the pixels; the ICC
  colour profile is kept (it holds no personal data and without it colours shift).
- Videos are not re-encoded: `strip_video_metadata` empties their metadata boxes (where
  phones record the place of shooting) in a copy, keeping every byte offset valid.
- Animations (GIF, WebP, APNG) are kept, re-encoded frame by frame, within a frame and a
  pixel budget (X publishes animated GIFs; a bigger animation is refused, not flattened
  behind the officer's back).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import struct
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, ImageSequence

from channels.adapters.base import MediaFile, NetworkLimits, PermanentError, Problem, Said, problem_of

MB = 1024 * 1024

# Upload caps, independent of settings so that forms, the API and tests agree. The networks'
# own (often lower) caps are in each adapter's NetworkLimits.
IMAGE_UPLOAD_MAX_BYTES = 20 * MB
VIDEO_UPLOAD_MAX_BYTES = 200 * MB
UPLOAD_MAX_BYTES = {"image": IMAGE_UPLOAD_MAX_BYTES, "video": VIDEO_UPLOAD_MAX_BYTES}

# 50 megapixels covers professional cameras (45 MP: 8192×5464) and every network's accepted
# size, while decoding stays under ~200 MB of memory (RGBA). Pillow's own limit (89 MP, then
# an error only at twice that) is lowered for the whole process: nothing else in Diplomacy
# Hub has a reason to open bigger images.
MAX_IMAGE_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Animations are kept, within X's frame count (350) and a pixel budget that bounds the
# memory re-encoding takes (every frame is held decoded): about 110 frames of 1280×1080.
ANIMATION_MAX_FRAMES = 350
ANIMATION_MAX_PIXELS = 150_000_000

JPEG_QUALITY = 90
WEBP_QUALITY = 90

IMAGE_MIME_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
# "MPO" is how Pillow names a JPEG carrying extra pictures (phones' depth maps, gain maps).
_PILLOW_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
_SAVE_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP"}

MIME_LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
}

WHAT_WE_TAKE = "We take JPEG, PNG, GIF and WebP images and MP4 or MOV videos."


class MediaRejected(ValueError):
    """The file cannot be published. The message is written for the officer who uploaded it."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" or "video"
    mime_type: str
    size: int
    width: int | None
    height: int | None
    duration_seconds: float | None = None  # videos only
    frames: int = 1  # more than one for an animation


MediaSource = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


# --- Inspecting ----------------------------------------------------------------------------


def inspect_media(source: MediaSource) -> MediaInfo:
    """Recognise an upload from its content and check it can be published.

    `source` is a path, the bytes, or a binary file object (a Django UploadedFile works; it
    is read from the start and rewound). Raises MediaRejected, and only that, for anything
    that is not a complete JPEG, PNG, GIF or WebP image or MP4/MOV video within our caps.
    """
    with _opened(source) as fp:
        size = _file_size(fp)
        if size == 0:
            raise MediaRejected("This file is empty.")
        head = fp.read(_SNIFF_BYTES)
        fp.seek(0)
        if _is_iso_media(head):
            return _inspect_video(fp, size)
        if _image_format_of(head):
            _refuse_if_too_big("image", size)
            return _inspect_image(fp.read())
        raise MediaRejected(_not_media_message(head))


def _inspect_image(data: bytes) -> MediaInfo:
    fmt, width, height, frames = _decode_fully(data)
    _refuse_polyglot(data, fmt)
    return MediaInfo(
        kind="image", mime_type=IMAGE_MIME_TYPES[fmt], size=len(data), width=width, height=height, frames=frames
    )


def _decode_fully(data: bytes) -> tuple[str, int, int, int]:
    """Open, verify, then decode every frame: only a full decode proves the pixels are there.

    Pillow reports malformed input through many exception types (OSError, SyntaxError,
    ValueError, EOFError, struct.error, IndexError...), all of which mean "not an image we
    can publish"; they are turned into MediaRejected here and nowhere else.
    """
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
            fmt, (width, height) = image.format or "", image.size
            _refuse_too_many_pixels(width, height)
            image.verify()  # PNG: chunk CRCs; other formats: a no-op, the decode below counts
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
            frames = _frame_count(image)
            _refuse_big_animation(frames, width, height)
            for index in range(frames):
                image.seek(index)
                image.load()
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception only where warnings are errors (the tests);
        # elsewhere _refuse_too_many_pixels has already refused the image.
        raise MediaRejected(_TOO_MANY_PIXELS) from exc
    except Exception as exc:
        raise MediaRejected(_DAMAGED_IMAGE) from exc
    return fmt, width, height, frames


_DAMAGED_IMAGE = (
    "This image is damaged or incomplete, so we cannot publish it. "
    "Open it in an image editor and save it again as JPEG or PNG."
)


def _frame_count(image: Image.Image) -> int:
    """Frames of an animation (GIF, WebP, APNG). A JPEG's extra pictures (MPO: depth maps,
    gain maps) are not frames: only the first picture is published."""
    if image.format == "MPO":
        return 1
    return getattr(image, "n_frames", 1)


_TOO_MANY_PIXELS = (
    f"This image is too large in pixels (more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels). "
    "Resize it, for example to 4000 pixels on its longest side."
)


def _refuse_too_many_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaRejected(_TOO_MANY_PIXELS)


def _refuse_big_animation(frames: int, width: int, height: int) -> None:
    if frames > ANIMATION_MAX_FRAMES or frames * width * height > ANIMATION_MAX_PIXELS:
        raise MediaRejected(
            f"This animation is too large ({frames} frames of {width}×{height} pixels). "
            f"Keep it under {ANIMATION_MAX_FRAMES} frames, or make it smaller or shorter."
        )


def _refuse_if_too_big(kind: str, size: int) -> None:
    cap = UPLOAD_MAX_BYTES[kind]
    if size > cap:
        noun = "an image" if kind == "image" else "a video"
        raise MediaRejected(
            f"This file is {describe_size(size, round_up=True)}; {noun} can be at most {describe_size(cap)}."
        )


# --- Recognising what a file is ---------------------------------------------------------------

_SNIFF_BYTES = 4096

_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


def _image_format_of(head: bytes) -> str | None:
    for signature, fmt in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _is_iso_media(head: bytes) -> bool:
    """MP4, QuickTime and their relatives (HEIC, AVIF, 3GP) start with an `ftyp` box."""
    return head[4:8] == b"ftyp"


# What a refused file looks like, in the officer's words. Checked in order on the start of the
# file (markup may follow a byte-order mark, blank lines or an XML declaration).
_LOOKS_LIKE: tuple[tuple[re.Pattern[bytes], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE | re.DOTALL), label)
    for pattern, label in (
        (rb"<\?php|<\?=", "PHP code"),
        (rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!doctype svg[^>]*>\s*)*<svg", "an SVG drawing"),
        (rb"^(\xef\xbb\xbf)?\s*(<!--.*?-->\s*)*<(!doctype html|html|head|body|script|iframe|meta|div)\b", "HTML"),
        (rb"^(\xef\xbb\xbf)?\s*<\?xml", "an XML document"),
        (rb"^%PDF-", "a PDF document"),
        (rb"^PK\x03\x04", "a ZIP archive or an Office document"),
        (rb"^(MZ|\x7fELF|\xca\xfe\xba\xbe|\xcf\xfa\xed\xfe)", "a program"),
        (rb"^#!", "a script"),
        (rb"^(II\*\x00|MM\x00\*)", "a TIFF image"),
        (rb"^BM", "a BMP image"),
        (rb"^8BPS", "a Photoshop file"),
        (rb"^\x1aE\xdf\xa3", "a WebM or MKV video"),
        (rb"^RIFF....AVI ", "an AVI video"),
        (rb"^\x00\x00\x01\xba", "an MPEG video"),
    )
)


def _not_media_message(head: bytes) -> str:
    label = next((label for pattern, label in _LOOKS_LIKE if pattern.search(head)), None)
    if label is None and _is_text(head):
        label = "plain text"
    looks = f" (it looks like {label})" if label else ""
    return f"This file is not an image or video we can publish{looks}. {WHAT_WE_TAKE}"


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut by the sniffing window
            return False
        text = head[: exc.start].decode("utf-8")
    return all(char.isprintable() or char in "\r\n\t" for char in text)


# --- Polyglots: markup or script outside an image's pixels -------------------------------------

# Long enough that compressed data does not produce them by chance.
_ACTIVE_CONTENT = re.compile(
    rb"<\?php|<script|<html|<!doctype html|<body|<iframe|<object|<embed|<svg[\s>/]|javascript:",
    re.IGNORECASE,
)


def _refuse_polyglot(data: bytes, fmt: str) -> None:
    outside_pixels = _NON_PIXEL_PARTS[_SAVE_FORMAT[fmt]](data)
    if any(_ACTIVE_CONTENT.search(part) for part in outside_pixels):
        raise MediaRejected(
            "This image carries hidden web code (HTML or script) besides the picture, so we "
            "cannot accept it. Open it in an image editor and save it again as JPEG or PNG."
        )


_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01, 0xD8}


def _jpeg_non_pixel_parts(data: bytes) -> list[bytes]:
    """Segments (metadata, comments, tables) and whatever follows the first image's end (EOI).
    The entropy-coded scans are skipped: they end at the next real marker."""
    parts, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            pos += 2
            break
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        parts.append(data[pos:end])
        pos = end
        if marker == 0xDA:  # start of scan: compressed pixels until the next marker
            found = _JPEG_NEXT_MARKER.search(data, pos)
            pos = found.start() if found else len(data)
    parts.append(data[pos:])
    return parts


def _png_non_pixel_parts(data: bytes) -> list[bytes]:
    """Every chunk but the compressed pixels (IDAT, and fdAT in animations), and the tail."""
    parts, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, end = data[pos + 4 : pos + 8], pos + 12 + length
        if kind not in (b"IDAT", b"fdAT"):
            parts.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    parts.append(data[pos:])
    return parts


def _gif_sub_blocks_end(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _gif_non_pixel_parts(data: bytes) -> list[bytes]:
    """Extensions (comments, application data) and the tail; the LZW image data is skipped."""
    parts = []
    flags = data[10] if len(data) > 10 else 0
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            pos += 1
            break
        if block == 0x21:  # extension: label, then sub-blocks
            end = _gif_sub_blocks_end(data, pos + 2)
            parts.append(data[pos:end])
            pos = end
        elif block == 0x2C and pos + 10 <= len(data):  # image descriptor, colour table, LZW data
            flags = data[pos + 9]
            pos += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
            pos = _gif_sub_blocks_end(data, pos + 1)
        else:
            break
    parts.append(data[pos:])
    return parts


def _webp_non_pixel_parts(data: bytes) -> list[bytes]:
    """Chunks other than the bitstreams (EXIF, XMP, ICCP, unknown ones) and the tail."""
    parts, pos = [], 12
    end_of_riff = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while pos + 8 <= end_of_riff:
        kind, length = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + length + (length & 1)
        if kind not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            parts.append(data[pos:end])
        pos = end
    parts.append(data[max(pos, end_of_riff) :])
    return parts


_NON_PIXEL_PARTS: dict[str, Callable[[bytes], list[bytes]]] = {
    "JPEG": _jpeg_non_pixel_parts,
    "PNG": _png_non_pixel_parts,
    "GIF": _gif_non_pixel_parts,
    "WEBP": _webp_non_pixel_parts,
}


# --- Videos: ISO base media file format boxes ------------------------------------------------

# Major or compatible brands of the MP4 family that networks accept as MP4.
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VP",
        b"dash",
        b"MSNV",
        b"XAVC",
        b"mp71",
        b"f4v ",
    }
)
_QUICKTIME_BRAND = b"qt  "
_STILL_IMAGE_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}
_MAX_BOXES = 100_000  # fragmented MP4s have two boxes per fragment; beyond this, refuse
_MAX_MOOV_BYTES = 64 * MB

_INCOMPLETE_VIDEO = (
    "This video file is incomplete (it may have been cut short while copying or exporting), "
    "so we cannot publish it. Export or copy it again."
)


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int  # where its header starts
    payload: int  # where its content starts
    end: int


ReadAt = Callable[[int, int], bytes]


def _boxes(read_at: ReadAt, start: int, end: int) -> Iterator[_Box]:
    """The boxes between start and end. A box running past `end` means a truncated file."""
    pos, count = start, 0
    while pos < end:
        count += 1
        if count > _MAX_BOXES or end - pos < 8:
            raise MediaRejected(_INCOMPLETE_VIDEO)
        size, kind = struct.unpack(">I4s", read_at(pos, 8))
        header = 8
        if size == 1:  # 64-bit size follows
            if end - pos < 16:
                raise MediaRejected(_INCOMPLETE_VIDEO)
            (size,) = struct.unpack(">Q", read_at(pos + 8, 8))
            header = 16
        elif size == 0:  # runs to the end of its container
            size = end - pos
        if size < header or pos + size > end:
            raise MediaRejected(_INCOMPLETE_VIDEO)
        yield _Box(kind, pos, pos + header, pos + size)
        pos += size


def _file_reader(fp: BinaryIO) -> ReadAt:
    def read_at(pos: int, length: int) -> bytes:
        fp.seek(pos)
        return fp.read(length)

    return read_at


def _bytes_reader(data: bytes) -> ReadAt:
    return lambda pos, length: data[pos : pos + length]


def _inspect_video(fp: BinaryIO, size: int) -> MediaInfo:
    _refuse_if_too_big("video", size)
    read_at = _file_reader(fp)
    top = list(_boxes(read_at, 0, size))
    mime_type = _video_mime_type(read_at(top[0].payload, min(top[0].end - top[0].payload, 256)))
    moov = next((box for box in top if box.kind == b"moov"), None)
    if moov is None or not any(box.kind == b"mdat" for box in top):
        raise MediaRejected(_INCOMPLETE_VIDEO)
    if moov.end - moov.payload > _MAX_MOOV_BYTES:
        raise MediaRejected("We could not read this video's index. Export it again as MP4.")
    data = read_at(moov.payload, moov.end - moov.payload)
    duration = _movie_duration(data)
    width, height = _video_dimensions(data)
    return MediaInfo(
        kind="video", mime_type=mime_type, size=size, width=width, height=height, duration_seconds=duration
    )


def _video_mime_type(ftyp: bytes) -> str:
    """From the `ftyp` box: major brand, minor version, then compatible brands."""
    major = ftyp[:4]
    brands = {major} | {ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4)}
    if major in _STILL_IMAGE_BRANDS:
        name = _STILL_IMAGE_BRANDS[major]
        raise MediaRejected(
            f"This is a {name} photo, which the networks do not all accept. "
            "Export it as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible)."
        )
    if major == _QUICKTIME_BRAND:
        return "video/quicktime"
    if brands & _MP4_BRANDS:
        return "video/mp4"
    raise MediaRejected(f"This video format is not one we can publish. {WHAT_WE_TAKE}")


def _child(data: bytes, start: int, end: int, kind: bytes) -> _Box | None:
    return next((box for box in _boxes(_bytes_reader(data), start, end) if box.kind == kind), None)


def _movie_duration(moov: bytes) -> float:
    """`mvhd`: duration / timescale (version 0: 32-bit times; version 1: 64-bit). A fragmented
    MP4 may leave it at 0 and give the length in `mvex/mehd` instead."""
    mvhd = _child(moov, 0, len(moov), b"mvhd")
    if mvhd is None or mvhd.end - mvhd.payload < 32:
        raise MediaRejected(_INCOMPLETE_VIDEO)
    version = moov[mvhd.payload]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", moov, mvhd.payload + 20)
        unknown = 0xFFFFFFFFFFFFFFFF
    else:
        timescale, duration = struct.unpack_from(">II", moov, mvhd.payload + 12)
        unknown = 0xFFFFFFFF
    if duration in (0, unknown):
        duration = _fragment_duration(moov)
    if not timescale or not duration:
        raise MediaRejected("We could not read how long this video is. Export it again as MP4.")
    return duration / timescale


def _fragment_duration(moov: bytes) -> int:
    mvex = _child(moov, 0, len(moov), b"mvex")
    mehd = mvex and _child(moov, mvex.payload, mvex.end, b"mehd")
    if not mehd or mehd.end - mehd.payload < 8:
        return 0
    if moov[mehd.payload] == 1 and mehd.end - mehd.payload >= 12:
        return struct.unpack_from(">Q", moov, mehd.payload + 4)[0]
    return struct.unpack_from(">I", moov, mehd.payload + 4)[0]


def _video_dimensions(moov: bytes) -> tuple[int | None, int | None]:
    """The first track with a picture: `trak/tkhd` ends with width and height in 16.16."""
    for trak in _boxes(_bytes_reader(moov), 0, len(moov)):
        if trak.kind != b"trak":
            continue
        tkhd = _child(moov, trak.payload, trak.end, b"tkhd")
        if tkhd is None or tkhd.end - tkhd.payload < 84:
            continue
        width, height = struct.unpack_from(">II", moov, tkhd.end - 8)
        if width and height:
            return width >> 16, height >> 16
    return None, None


# --- Cleaning ----------------------------------------------------------------------------------

# Cleaned images by content, kept by each process for the deliveries that follow: a crisis
# alert's image goes to hundreds of accounts, and cleaning it costs from 2 ms (a 320x240
# PNG) to 0.3 s of CPU (a 12-megapixel photo) each time. Bytes are immutable, so every
# thread may share them; the lock makes one cleaning per image however many ask at once.
_CLEANED: OrderedDict[bytes, bytes] = OrderedDict()
_CLEANED_MAX_BYTES = 32 * MB
_cleaned_lock = threading.Lock()


def strip_metadata(source: MediaSource) -> bytes:
    """`_strip_metadata`, done once per image content in this process for a file path."""
    if not isinstance(source, (str, os.PathLike)) or os.path.getsize(source) > IMAGE_UPLOAD_MAX_BYTES:
        return _strip_metadata(source)
    with open(source, "rb") as handle:
        data = handle.read()
    key = hashlib.sha256(data).digest()
    with _cleaned_lock:
        clean = _CLEANED.get(key)
        if clean is None:
            clean = _strip_metadata(data)
            _CLEANED[key] = clean
            while len(_CLEANED) > 1 and sum(map(len, _CLEANED.values())) > _CLEANED_MAX_BYTES:
                _CLEANED.popitem(last=False)
        else:
            _CLEANED.move_to_end(key)
    return clean


def _strip_metadata(source: MediaSource) -> bytes:
    """The image re-encoded with nothing but its pixels (and colour profile).

    EXIF (including GPS and camera serial numbers), XMP, IPTC, comments and any trailing
    data are dropped; the EXIF orientation is applied to the pixels first, so the picture
    still stands the right way up. The format is kept: JPEG at quality 90, PNG, WebP at
    quality 90, GIF; animations keep their frames, timings and looping.
    Raises MediaRejected for anything `inspect_media` refuses, and for videos.
    """
    with _opened(source) as fp:
        size = _file_size(fp)
        if _is_iso_media(fp.read(16)):
            raise MediaRejected("Only images can be cleaned this way, not videos.")
        fp.seek(0)
        _refuse_if_too_big("image", size)
        data = fp.read()
    info = inspect_media(data)
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
            save_format = _SAVE_FORMAT[image.format or ""]
            icc_profile = image.info.get("icc_profile")
            if info.frames > 1:
                return _reencode_animation(image, save_format, icc_profile, image.info.get("loop"))
            return _reencode_still(image, save_format, icc_profile)
    except Exception as exc:  # a malformed EXIF orientation, a palette Pillow cannot write...
        raise MediaRejected(_DAMAGED_IMAGE) from exc


def _reencode_still(image: Image.Image, save_format: str, icc_profile: bytes | None) -> bytes:
    transparency = image.info.get("transparency")
    clean = ImageOps.exif_transpose(image)
    # Pillow's writers fall back on the image's own `info` for some keys (PNG: the ICC
    # profile; GIF: the comment): start from an empty one and pass only what we keep.
    clean.info = {}
    options: dict = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if save_format == "JPEG":
        options["quality"] = JPEG_QUALITY
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
    elif save_format == "WEBP":
        options["quality"] = WEBP_QUALITY
    elif transparency is not None and clean.mode in ("P", "L", "RGB"):
        options["transparency"] = transparency
    return _encode(clean, save_format, **options)


def _reencode_animation(image: Image.Image, save_format: str, icc_profile: bytes | None, loop: int | None) -> bytes:
    """Every frame as a fresh RGBA image (no metadata travels with it), with its timing.
    `loop` is read before the frames: Pillow's GIF reader forgets it after seeking. Without
    it a GIF plays once; we keep that rather than make it loop."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(frame.convert("RGBA"))
        durations.append(frame.info.get("duration", 100))
    for frame in frames:
        frame.info = {}
    options: dict = {"save_all": True, "append_images": frames[1:], "duration": durations}
    if loop is not None:
        options["loop"] = loop
    if icc_profile and save_format != "GIF":
        options["icc_profile"] = icc_profile
    if save_format == "WEBP":
        options["quality"] = WEBP_QUALITY
    return _encode(frames[0], save_format, **options)


def _encode(image: Image.Image, save_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, save_format, **options)
    return buffer.getvalue()


# Phones write where a video was shot into these boxes (moov/udta/©xyz on Android and
# QuickTime, moov/meta keys such as com.apple.quicktime.location.ISO6709 on iPhones), with
# the camera model and the software. Nothing in them is needed to play the video.
_VIDEO_METADATA_BOXES = frozenset({b"udta", b"meta"})
_COPY_BLOCK = 1024 * 1024


def video_metadata_boxes(source: MediaSource) -> list[tuple[int, int]]:
    """(offset, size) of the metadata boxes of a video's `moov` and of its tracks."""
    with _opened(source) as fp:
        read_at = _file_reader(fp)
        return [
            found
            for box in _boxes(read_at, 0, _file_size(fp))
            if box.kind == b"moov"
            for found in _metadata_within(read_at, box)
        ]


def _metadata_within(read_at: ReadAt, container: _Box) -> list[tuple[int, int]]:
    found = []
    for box in _boxes(read_at, container.payload, container.end):
        if box.kind in _VIDEO_METADATA_BOXES:
            found.append((box.start, box.end - box.start))
        elif box.kind == b"trak":
            found += _metadata_within(read_at, box)
    return found


def strip_video_metadata(source: str | os.PathLike, destination: str | os.PathLike) -> int:
    """Copy a video to `destination` with its metadata boxes emptied; returns how many.

    Each `udta` and `meta` box becomes a `free` box of the same size, filled with zeros:
    every offset in the file stays valid (the sample tables point into `mdat`), so nothing
    is re-encoded or re-muxed, and players skip `free` boxes by definition. What this does
    not reach: a timed metadata track (a location sampled over time) keeps its samples in
    `mdat`; removing those needs a remux (ffmpeg).
    """
    boxes = video_metadata_boxes(source)
    with open(source, "rb") as reader, open(destination, "wb") as writer:
        while block := reader.read(_COPY_BLOCK):
            writer.write(block)
    with open(destination, "r+b") as writer:
        for offset, size in boxes:
            writer.seek(offset)
            writer.write(struct.pack(">I4s", size, b"free") if size < 2**32 else struct.pack(">I4sQ", 1, b"free", size))
            remaining = size - writer.tell() + offset
            while remaining > 0:
                step = min(remaining, _COPY_BLOCK)
                writer.write(bytes(step))
                remaining -= step
    return len(boxes)


# --- The media as it leaves for a network ---------------------------------------------------
# Clean of its metadata whatever way it came in; media that cannot be cleaned, or that outgrows
# the network's limit once cleaned, is refused for good (PermanentError) before any call. The
# adapters call these, then send the result through their own SDK.


def clean_image(item: MediaFile, *, label: str, max_bytes: int | None = None) -> bytes:
    """The image re-encoded without EXIF, GPS or trailing data. Re-encoding may grow it,
    so with `max_bytes` (the network's limit) its size is checked again."""
    try:
        data = strip_metadata(item.path)
    except MediaRejected as exc:
        raise PermanentError(str(exc)) from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise PermanentError(
            f"The image “{os.path.basename(item.path)}” is over {label}'s "
            f"{max_bytes // MB} MB once cleaned of its metadata; send a smaller one."
        )
    return data


@contextmanager
def video_without_metadata(path: str, *, network: str) -> Iterator[str]:
    """The path of the video as it may leave: a temporary copy without its metadata boxes
    when it has any (removed on leaving the block), else the file itself."""
    try:
        if not video_metadata_boxes(path):
            yield path
            return
        with tempfile.TemporaryDirectory(prefix=f"dh-{network}-") as directory:
            clean = os.path.join(directory, "video")
            strip_video_metadata(path, clean)
            yield clean
    except MediaRejected as exc:
        raise PermanentError(str(exc)) from exc


# --- Checking media against a network's limits -------------------------------------------------


def check_against_limits(
    media: Sequence[MediaFile], limits: NetworkLimits, network_label: str, *, network: str | None = None
) -> list[Problem]:
    """Every reason these files cannot go to a network, in the officer's words.

    Shared by all adapters' `validate()`; a stable signature. `network_label` is the name
    officers know ("YouTube", "X"); `network` is the key stored in Problem.network
    ("youtube", "twitter") and defaults to the label in lower case. Checks, in order:
    what the network requires ("YouTube needs a video."), counts, images with a video,
    each file's type, size and (videos) duration, and alt text on every image. Each
    problem carries its code and parameters (channels.adapters.base.Said).
    """
    key = network or network_label.lower()
    images = [item for item in media if item.kind == "image"]
    videos = [item for item in media if item.kind == "video"]
    messages = [
        *_required_kind(images, videos, limits, network_label, key),
        *_counts(images, videos, limits, network_label, key),
    ]
    for item in media:
        messages += _file_problems(item, limits, network_label, key)
    return [problem_of(key, "media", message) for message in messages]


def _required_kind(
    images: list[MediaFile], videos: list[MediaFile], limits: NetworkLimits, label: str, key: str
) -> list[Said]:
    if limits.requires == "video" and not videos:
        return [Said(f"{label} needs a video.", "media.video_required", network=key)]
    if limits.requires == "image" and not images:
        return [Said(f"{label} needs a photo.", "media.photo_required", network=key)]
    return []


def _counts(
    images: list[MediaFile], videos: list[MediaFile], limits: NetworkLimits, label: str, key: str
) -> list[Said]:
    messages = []
    for items, most, noun in ((images, limits.max_images, "image"), (videos, limits.max_videos, "video")):
        if items and most == 0:
            messages.append(
                Said(
                    f"{label} does not take {noun}s: remove {_names(items)}.",
                    f"media.{noun}s_not_taken",
                    network=key,
                    files=[_name(item) for item in items],
                )
            )
        elif len(items) > most:
            messages.append(
                Said(
                    f"{label} takes at most {_count(most, noun)} per post; this message has {len(items)}.",
                    f"media.too_many_{noun}s",
                    network=key,
                    limit=most,
                    count=len(items),
                )
            )
    if images and videos and not limits.images_and_video_together and limits.max_images and limits.max_videos:
        messages.append(
            Said(f"{label} cannot show images and a video in the same post.", "media.images_with_video", network=key)
        )
    return messages


def _file_problems(item: MediaFile, limits: NetworkLimits, label: str, key: str) -> list[Said]:
    if item.kind == "image":
        allowed, max_bytes, noun = limits.image_types, limits.image_max_bytes, "image"
    elif item.kind == "video":
        allowed, max_bytes, noun = limits.video_types, limits.video_max_bytes, "video"
    else:
        return [Said(f"“{_name(item)}” is neither an image nor a video.", "media.not_image_or_video", file=_name(item))]
    messages = []
    if allowed and item.mime_type not in allowed:
        types = sorted(_mime_label(m) for m in allowed)
        messages.append(
            Said(
                f"{label} does not take {_mime_label(item.mime_type)} {noun}s (“{_name(item)}”); "
                f"it takes {_list_words(types)}.",
                f"media.{noun}_type",
                network=key,
                type=_mime_label(item.mime_type),
                file=_name(item),
                types=types,
            )
        )
    if max_bytes and item.size > max_bytes:
        messages.append(
            Said(
                f"The {noun} “{_name(item)}” is {describe_size(item.size, round_up=True)}; "
                f"{label} takes {noun}s up to {describe_size(max_bytes)}.",
                f"media.{noun}_too_large",
                network=key,
                file=_name(item),
                size=item.size,
                max_size=max_bytes,
            )
        )
    if item.kind == "video":
        messages += _duration_problems(item, limits, label, key)
    if item.kind == "image" and not item.alt_text.strip():
        messages.append(
            Said(
                f"The image “{_name(item)}” has no alt text: describe it for people who cannot see it.",
                "media.alt_text_missing",
                file=_name(item),
            )
        )
    return messages


def _duration_problems(item: MediaFile, limits: NetworkLimits, label: str, key: str) -> list[Said]:
    if limits.video_max_seconds is None:
        return []
    if item.duration_seconds is None:
        return [
            Said(
                f"We could not read how long the video “{_name(item)}” is; upload it again.",
                "media.duration_unknown",
                file=_name(item),
            )
        ]
    if item.duration_seconds > limits.video_max_seconds:
        return [
            Said(
                f"The video is {describe_duration(item.duration_seconds, round_up=True)} long; "
                f"{label} takes at most {describe_duration(limits.video_max_seconds)}.",
                "media.video_too_long",
                network=key,
                duration=item.duration_seconds,
                max_duration=limits.video_max_seconds,
            )
        ]
    return []


def _name(item: MediaFile) -> str:
    return os.path.basename(item.path) or item.path


def _names(items: list[MediaFile]) -> str:
    return _list_words([f"“{_name(item)}”" for item in items])


def _count(number: int, noun: str) -> str:
    return f"{'one' if number == 1 else number} {noun}{'' if number == 1 else 's'}"


def _list_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _mime_label(mime_type: str) -> str:
    return MIME_LABELS.get(mime_type, mime_type)


def describe_size(size: int, *, round_up: bool = False) -> str:
    """ "6.2 MB", "850 KB" (binary units, as file managers on Windows show them). Sizes over a
    limit are rounded up, limits down, so that an over-limit file never reads as equal."""
    for unit, scale in (("GB", 1024 * MB), ("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{_round(size / scale, round_up)} {unit}"
    return f"{size} bytes"


def _round(value: float, up: bool) -> str:
    tenths = math.ceil(value * 10) if up else math.floor(value * 10)
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def describe_duration(seconds: float, *, round_up: bool = False) -> str:
    """ "3 min 10 s", "45 s", "1 h 5 min", "0.5 s". A video's length is rounded up to the
    second and a limit down, so that an over-limit video never reads as equal to it."""
    if seconds < 1:
        return f"{_round(seconds, round_up)} s"
    whole = math.ceil(seconds) if round_up else math.floor(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(part for part in parts if part)


# --- Reading the source ------------------------------------------------------------------------


@contextmanager
def _opened(source: MediaSource) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fp:
            yield fp
    else:
        source.seek(0)
        try:
            yield source
        finally:
            source.seek(0)


def _file_size(fp: BinaryIO) -> int:
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(0)
    return size
