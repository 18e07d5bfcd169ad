"""The media as it leaves for a network: clean of its metadata (EXIF, GPS, the phone, the
place a video was shot), whatever way it came in. Media that cannot be cleaned, or that
outgrows the network's limit once cleaned, is refused for good (PermanentError) before
any call. Shared by the adapters; each still sends the result through its own SDK.

Not in base.py: channels.media imports base's data types, so base cannot import it back.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from channels.adapters.base import MediaFile, PermanentError
from channels.media import MediaRejected, strip_metadata, strip_video_metadata, video_metadata_boxes

MB = 1024 * 1024


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
