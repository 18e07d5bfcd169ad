"""What a stored file is, from its first bytes: SDKs often send application/octet-stream.
Apart from http.py, so that the state (which keeps media) and the HTTP layer (which
carries the state) need not import each other."""

from __future__ import annotations

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_mime(data: bytes, declared: str = "") -> str:
    """The media type from the first bytes; SDKs often send application/octet-stream."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    return declared or "application/octet-stream"
