"""Recognising, refusing and cleaning uploads (channels/media.py)."""

import contextlib
import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from channels.adapters.base import MediaFile, NetworkLimits
from channels.media import (
    ANIMATION_MAX_FRAMES,
    IMAGE_UPLOAD_MAX_BYTES,
    VIDEO_UPLOAD_MAX_BYTES,
    MediaRejected,
    check_against_limits,
    describe_duration,
    describe_size,
    inspect_media,
    strip_metadata,
    strip_video_metadata,
    video_metadata_boxes,
)
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes

GPS_IFD = 0x8825


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    return _box(b"ftyp", major + struct.pack(">I", 0) + b"".join(compatible))


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width×height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _gif_bytes(frames: int = 1, *, comment: bytes | None = None, size: tuple[int, int] = (8, 8)) -> bytes:
    images = [Image.new("P", size, index % 2) for index in range(frames)]
    for image in images:
        image.putpalette([0, 0, 0, 255, 255, 255])
    buffer = io.BytesIO()
    options = {"save_all": frames > 1, "append_images": images[1:], "duration": 80, "loop": 0}
    if comment is not None:
        options["comment"] = comment
    images[0].save(buffer, "GIF", **options)
    return buffer.getvalue()


def _jpeg_with_comment(comment: bytes) -> bytes:
    data = jpeg_bytes()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


def _mvhd_v1(seconds: float, timescale: int = 600) -> bytes:
    payload = struct.pack(">B3xQQIQ", 1, 0, 0, timescale, int(seconds * timescale)) + bytes(80)
    return _box(b"mvhd", payload)


# --- Recognising ---------------------------------------------------------------------------------


def test_inspect_media_recognises_images_and_videos_from_their_content():
    png = inspect_media(png_bytes(64, 48))
    assert (png.kind, png.mime_type, png.width, png.height) == ("image", "image/png", 64, 48)
    assert inspect_media(jpeg_bytes()).mime_type == "image/jpeg"
    assert inspect_media(_gif_bytes()).mime_type == "image/gif"
    webp = io.BytesIO()
    Image.new("RGB", (10, 10), "teal").save(webp, "WEBP")
    assert inspect_media(webp.getvalue()).mime_type == "image/webp"

    video = inspect_media(mp4_bytes(seconds=12.5))
    assert (video.kind, video.mime_type, video.duration_seconds) == ("video", "video/mp4", 12.5)
    assert video.size == len(mp4_bytes(seconds=12.5))


def test_inspect_media_ignores_the_file_name(tmp_path):
    """A PNG named video.mp4 is a PNG; an HTML page named photo.jpg is refused."""
    misnamed = tmp_path / "video.mp4"
    misnamed.write_bytes(png_bytes())
    assert inspect_media(misnamed).mime_type == "image/png"

    page = tmp_path / "photo.jpg"
    page.write_bytes(b"<!DOCTYPE html>\n<html><body><script>steal()</script></body></html>")
    with pytest.raises(MediaRejected, match=r"not an image or video we can publish \(it looks like HTML\)"):
        inspect_media(page)


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"<?php system($_GET['c']); ?>", "PHP code"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "an SVG drawing"),
        (b"<svg><script>alert(1)</script></svg>", "an SVG drawing"),
        (b"\xef\xbb\xbf  <!-- hi --><html>", "HTML"),
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"PK\x03\x04\x14\x00", "a ZIP archive or an Office document"),
        (b"MZ\x90\x00\x03", "a program"),
        (b"II*\x00\x08\x00\x00\x00", "a TIFF image"),
        (b"Dear colleagues,\nplease find attached", "plain text"),
    ],
)
def test_inspect_media_says_what_a_refused_file_looks_like(content, looks_like):
    with pytest.raises(MediaRejected) as refused:
        inspect_media(content)
    assert f"(it looks like {looks_like})" in str(refused.value)
    assert "We take JPEG, PNG, GIF and WebP images and MP4 or MOV videos." in str(refused.value)


def test_inspect_media_refuses_an_empty_file():
    with pytest.raises(MediaRejected, match="empty"):
        inspect_media(b"")


def test_inspect_media_reads_a_file_object_from_the_start_and_rewinds_it():
    upload = io.BytesIO(png_bytes())
    upload.seek(10)
    assert inspect_media(upload).kind == "image"
    assert upload.tell() == 0


# --- Polyglots -------------------------------------------------------------------------------------


def test_a_gif_header_followed_by_html_is_refused():
    """It starts like a GIF but holds no picture: Pillow cannot decode it."""
    with pytest.raises(MediaRejected, match="damaged or incomplete"):
        inspect_media(b"GIF89a<html><body><script>alert(document.cookie)</script></body></html>")


def test_a_real_gif_with_html_in_a_comment_is_refused():
    polyglot = _gif_bytes(comment=b"<script>alert(document.cookie)</script>")
    Image.open(io.BytesIO(polyglot)).load()  # a valid picture, for Pillow
    with pytest.raises(MediaRejected, match="hidden web code"):
        inspect_media(polyglot)


def test_a_jpeg_with_php_after_its_end_is_refused():
    """Pillow stops decoding at the end marker and would accept it; we look past it."""
    polyglot = jpeg_bytes() + b"<?php system($_GET['cmd']); ?>"
    Image.open(io.BytesIO(polyglot)).load()
    with pytest.raises(MediaRejected, match="hidden web code"):
        inspect_media(polyglot)


def test_a_jpeg_with_php_in_a_comment_segment_is_refused():
    with pytest.raises(MediaRejected, match="hidden web code"):
        inspect_media(_jpeg_with_comment(b"<?php eval($_POST['x']); ?>"))


def test_a_png_with_html_in_a_text_chunk_is_refused():
    png = png_bytes()
    text = _png_chunk(b"tEXt", b"Comment\x00<html><script>alert(1)</script></html>")
    with pytest.raises(MediaRejected, match="hidden web code"):
        inspect_media(png[:33] + text + png[33:])


def test_harmless_data_after_a_jpeg_is_accepted_and_dropped_when_cleaned():
    """Phones append a second picture (gain map, depth map) after a JPEG's end."""
    photo = jpeg_bytes() + jpeg_bytes(16, 16)
    assert inspect_media(photo).mime_type == "image/jpeg"
    assert len(strip_metadata(photo)) < len(photo) - 100


def test_an_ordinary_comment_is_not_mistaken_for_code():
    assert inspect_media(_jpeg_with_comment(b"National day reception, 14 July")).kind == "image"


# --- Sizes and bombs --------------------------------------------------------------------------------


def test_an_image_over_the_upload_cap_is_refused_before_it_is_read():
    oversize = b"\x89PNG\r\n\x1a\n" + bytes(IMAGE_UPLOAD_MAX_BYTES)
    with pytest.raises(MediaRejected, match=r"This file is 20\.1 MB; an image can be at most 20 MB\."):
        inspect_media(oversize)


def test_a_video_over_the_upload_cap_is_refused(tmp_path):
    path = tmp_path / "long.mp4"
    header = mp4_bytes(seconds=60, padding=0)
    with open(path, "wb") as fp:  # sparse: the 200 MB are never written
        fp.write(header[:-8] + struct.pack(">I", 8 + VIDEO_UPLOAD_MAX_BYTES) + b"mdat")
        fp.truncate(len(header) + VIDEO_UPLOAD_MAX_BYTES)
    with pytest.raises(MediaRejected, match=r"a video can be at most 200 MB"):
        inspect_media(path)


class PixelsDecoded(BaseException):
    """Not an Exception: no `except Exception` in the code under test may swallow it."""


@pytest.fixture
def no_pixel_decoded(monkeypatch):
    """Any decode of pixels (Pillow's load) stops the test."""
    from PIL import ImageFile

    def load(self, *args, **kwargs):
        raise PixelsDecoded(f"{self.format} {self.size} decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(Image.Image, "load", load)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (30_000, 30_000),
        # Pillow only warns here; the suite turns RuntimeWarnings into errors, production does
        # not: as in production, so that our own check is what refuses it.
        pytest.param(8_000, 8_000, marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")),
    ],
)
def test_a_decompression_bomb_is_refused_without_decoding_a_pixel(width, height, no_pixel_decoded):
    """30000×30000 is over Pillow's hard limit (an error); 8000×8000 is over ours only (a
    warning for Pillow): both are refused from their header, before any decode (the
    refusal's speed follows; `make bench` owns speed)."""
    bomb = _png_declaring(width, height)
    assert len(bomb) < 100
    with pytest.raises(MediaRejected, match="too large in pixels"):
        inspect_media(bomb)


def test_the_no_pixel_guard_sees_a_decode(no_pixel_decoded):
    """Positive control: an image within the limits is decoded, and the guard sees it."""
    with pytest.raises(PixelsDecoded):
        inspect_media(png_bytes(64, 64))


def test_an_animation_with_too_many_frames_is_refused():
    with pytest.raises(MediaRejected, match=f"{ANIMATION_MAX_FRAMES + 1} frames"):
        inspect_media(_gif_bytes(ANIMATION_MAX_FRAMES + 1, size=(2, 2)))


def test_a_truncated_image_is_refused():
    with pytest.raises(MediaRejected, match="damaged or incomplete"):
        inspect_media(jpeg_bytes(256, 256)[:400])


# --- Videos ----------------------------------------------------------------------------------------


def test_a_video_without_its_index_is_refused():
    """ftyp and mdat but no moov: the recorder stopped before writing it."""
    moov_less = _ftyp(b"isom", b"isom", b"mp41") + _box(b"mdat", bytes(2048))
    with pytest.raises(MediaRejected, match="video file is incomplete"):
        inspect_media(moov_less)


def test_a_video_cut_short_is_refused():
    video = mp4_bytes(seconds=5, padding=4096)
    with pytest.raises(MediaRejected, match="video file is incomplete"):
        inspect_media(video[: len(video) // 2 + 200])


def test_a_quicktime_movie_with_a_64_bit_header_is_read():
    movie = _ftyp(b"qt  ", b"qt  ") + _box(b"moov", _mvhd_v1(190.5)) + _box(b"mdat", bytes(64))
    info = inspect_media(movie)
    assert (info.mime_type, info.duration_seconds) == ("video/quicktime", 190.5)


def test_video_dimensions_come_from_the_track_header():
    tkhd = _box(b"tkhd", bytes(76) + struct.pack(">II", 1920 << 16, 1080 << 16))
    sample = mp4_bytes()
    start = sample.index(b"mvhd") - 4
    mvhd = sample[start : start + struct.unpack_from(">I", sample, start)[0]]
    moov_payload = mvhd + _box(b"trak", tkhd)
    video = _ftyp(b"mp42", b"isom") + _box(b"moov", moov_payload) + _box(b"mdat", bytes(16))
    info = inspect_media(video)
    assert (info.width, info.height) == (1920, 1080)


def test_a_heic_photo_is_refused_with_advice():
    heic = _ftyp(b"heic", b"mif1", b"heic") + _box(b"meta", bytes(32)) + _box(b"mdat", bytes(32))
    with pytest.raises(MediaRejected, match=r"HEIC photo.*Export it as JPEG"):
        inspect_media(heic)


# --- Cleaning ----------------------------------------------------------------------------------------


def test_strip_metadata_removes_exif_and_gps():
    original = jpeg_bytes(with_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    cleaned = strip_metadata(original)

    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in cleaned
    assert b"CameraMaker" not in cleaned


def test_strip_metadata_applies_the_orientation_to_the_pixels():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "JPEG", exif=exif)

    cleaned = Image.open(io.BytesIO(strip_metadata(buffer.getvalue())))

    assert cleaned.size == (48, 64)
    assert 0x0112 not in cleaned.getexif()


def test_strip_metadata_keeps_png_transparency_and_colour_profile_but_drops_text():
    image = Image.new("RGBA", (20, 10), (255, 0, 0, 0))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Consul General")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=text, icc_profile=profile)

    cleaned = Image.open(io.BytesIO(strip_metadata(buffer.getvalue())))

    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((0, 0)) == (255, 0, 0, 0)
    assert cleaned.info.get("icc_profile") == profile
    assert "Author" not in cleaned.info


def test_strip_metadata_keeps_an_animation_and_drops_its_comment():
    animation = _gif_bytes(3, comment=b"shot at the residence")

    cleaned = strip_metadata(animation)

    image = Image.open(io.BytesIO(cleaned))
    assert image.n_frames == 3
    assert image.info.get("duration") == 80
    assert b"residence" not in cleaned


def test_strip_metadata_refuses_what_inspection_refuses():
    with pytest.raises(MediaRejected):
        strip_metadata(b"<html></html>")
    with pytest.raises(MediaRejected, match="not videos"):
        strip_metadata(mp4_bytes())
    with pytest.raises(MediaRejected, match="too large in pixels"):
        strip_metadata(_png_declaring(30_000, 30_000))


def test_strip_metadata_reads_paths(tmp_path):
    path = tmp_path / "reception.jpg"
    path.write_bytes(jpeg_bytes(with_gps=True))
    assert b"Exif" not in strip_metadata(path)


# --- Random input ---------------------------------------------------------------------------------

_PREFIXES = st.sampled_from(
    [
        b"",
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\x00\x00\x00\x00WEBP",
        b"\x00\x00\x00\x18ftypisom",
        b"\x00\x00\x00\x10ftypqt  ",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_PREFIXES, body=st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_but_media_rejected(prefix, body):
    data = prefix + body
    for check in (inspect_media, strip_metadata):
        with contextlib.suppress(MediaRejected):
            check(data)


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=1, max_value=len(mp4_bytes()) - 1), flip=st.integers(0, 255))
def test_damaged_videos_never_raise_anything_but_media_rejected(cut, flip):
    video = bytearray(mp4_bytes())
    video[cut] ^= flip
    for data in (bytes(video), bytes(video[:cut])):
        with contextlib.suppress(MediaRejected):
            inspect_media(data)


# --- Checking against a network's limits ------------------------------------------------------------

X_LIKE = NetworkLimits(
    text_max=280,
    text_unit="weighted characters",
    image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
    video_types=frozenset({"video/mp4"}),
    image_max_bytes=5 * 1024 * 1024,
    video_max_bytes=512 * 1024 * 1024,
    video_max_seconds=140,
    max_images=4,
    max_videos=1,
)
YOUTUBE_LIKE = NetworkLimits(
    text_max=5000,
    text_unit="bytes",
    video_types=frozenset({"video/mp4"}),
    video_max_bytes=VIDEO_UPLOAD_MAX_BYTES,
    max_videos=1,
    requires="video",
)


def _image(name: str = "x.png", *, alt: str = "The ambassador", size: int = 1000, mime: str = "image/png") -> MediaFile:
    return MediaFile(path=f"/var/media/{name}", mime_type=mime, kind="image", size=size, alt_text=alt)


def _video(name: str = "clip.mp4", *, seconds: float = 30, size: int = 10_000) -> MediaFile:
    return MediaFile(
        path=f"/var/media/{name}", mime_type="video/mp4", kind="video", size=size, duration_seconds=seconds
    )


def _messages(problems) -> list[str]:
    return [problem.message for problem in problems]


def test_check_against_limits_accepts_what_fits():
    assert check_against_limits([_image(), _image("y.jpg", mime="image/jpeg")], X_LIKE, "X") == []
    assert check_against_limits([_video()], YOUTUBE_LIKE, "YouTube", network="youtube") == []


def test_check_against_limits_says_what_the_network_needs():
    problems = check_against_limits([], YOUTUBE_LIKE, "YouTube", network="youtube")
    assert _messages(problems) == ["YouTube needs a video."]
    assert (problems[0].network, problems[0].field) == ("youtube", "media")

    flickr_like = NetworkLimits(
        text_max=1000, text_unit="characters", image_types=frozenset({"image/jpeg"}), max_images=1, requires="image"
    )
    assert _messages(check_against_limits([], flickr_like, "Flickr")) == ["Flickr needs a photo."]


def test_check_against_limits_asks_for_alt_text():
    problems = check_against_limits([_image("x.png", alt="  ")], X_LIKE, "X")
    assert _messages(problems) == ["The image “x.png” has no alt text: describe it for people who cannot see it."]


def test_check_against_limits_reads_video_length_as_people_do():
    problems = check_against_limits([_video(seconds=190)], X_LIKE, "X")
    assert _messages(problems) == ["The video is 3 min 10 s long; X takes at most 2 min 20 s."]
    # A fraction of a second over the limit is still over, and reads so.
    assert _messages(check_against_limits([_video(seconds=140.2)], X_LIKE, "X")) == [
        "The video is 2 min 21 s long; X takes at most 2 min 20 s."
    ]


def test_check_against_limits_counts_sizes_and_types():
    media = [_image(f"{n}.png") for n in range(5)] + [
        _image("big.png", size=6 * 1024 * 1024 + 1),
        _image("anim.webp", mime="image/webp"),
        _video(),
        _video("second.mp4"),
    ]
    assert _messages(check_against_limits(media, X_LIKE, "X")) == [
        "X takes at most 4 images per post; this message has 7.",
        "X takes at most one video per post; this message has 2.",
        "X cannot show images and a video in the same post.",
        "The image “big.png” is 6.1 MB; X takes images up to 5 MB.",
        "X does not take WebP images (“anim.webp”); it takes GIF, JPEG or PNG.",
    ]


def test_check_against_limits_refuses_images_where_the_network_takes_none():
    assert _messages(check_against_limits([_image("a.png"), _video()], YOUTUBE_LIKE, "YouTube")) == [
        "YouTube does not take images: remove “a.png”.",
    ]


def test_check_against_limits_wants_a_known_duration_when_there_is_a_limit():
    unknown = MediaFile(path="/m/v.mp4", mime_type="video/mp4", kind="video", size=10)
    assert _messages(check_against_limits([unknown], X_LIKE, "X")) == [
        "We could not read how long the video “v.mp4” is; upload it again."
    ]


@pytest.mark.parametrize(
    ("seconds", "round_up", "words"),
    [
        (190, False, "3 min 10 s"),
        (140, False, "2 min 20 s"),
        (120, False, "2 min"),
        (45, False, "45 s"),
        (3725, False, "1 h 2 min 5 s"),
        (0.5, False, "0.5 s"),
        (59.2, True, "1 min"),
        (59.2, False, "59 s"),
    ],
)
def test_describe_duration(seconds, round_up, words):
    assert describe_duration(seconds, round_up=round_up) == words


@pytest.mark.parametrize(
    ("size", "round_up", "words"),
    [
        (5 * 1024 * 1024, False, "5 MB"),
        (5 * 1024 * 1024 + 1, True, "5.1 MB"),
        (850 * 1024, False, "850 KB"),
        (12, False, "12 bytes"),
        (3 * 1024**3, False, "3 GB"),
    ],
)
def test_describe_size(size, round_up, words):
    assert describe_size(size, round_up=round_up) == words


# --- Video metadata ------------------------------------------------------------------------------------


def _video_with_location() -> bytes:
    """An MP4 whose moov carries a place (udta/©xyz, as Android writes it) and whose track
    carries a meta box (as iPhones do)."""
    sample = mp4_bytes(seconds=7, padding=256)
    start = sample.index(b"mvhd") - 4
    mvhd = sample[start : start + struct.unpack_from(">I", sample, start)[0]]
    udta = _box(b"udta", _box(b"\xa9xyz", b"\x00\x12\x15\xc7+48.8577+002.2945/"))
    tkhd = _box(b"tkhd", bytes(76) + struct.pack(">II", 640 << 16, 360 << 16))
    meta = _box(b"meta", bytes(4) + _box(b"hdlr", bytes(24)) + _box(b"ilst", b"iPhone 15 Pro"))
    moov = _box(b"moov", mvhd + udta + _box(b"trak", tkhd + meta))
    return sample[: start - 8] + moov + _box(b"mdat", bytes(256))


def test_strip_video_metadata_empties_the_location_and_keeps_the_video(tmp_path):
    source, clean = tmp_path / "in.mp4", tmp_path / "out.mp4"
    source.write_bytes(_video_with_location())
    assert len(video_metadata_boxes(source)) == 2

    assert strip_video_metadata(source, clean) == 2

    data = clean.read_bytes()
    assert len(data) == len(source.read_bytes())
    assert b"+48.8577" not in data
    assert b"iPhone" not in data
    assert video_metadata_boxes(clean) == []
    info = inspect_media(clean)
    assert (info.duration_seconds, info.width, info.height) == (7.0, 640, 360)


def test_strip_video_metadata_copies_a_clean_video_unchanged(tmp_path):
    source, clean = tmp_path / "in.mp4", tmp_path / "out.mp4"
    source.write_bytes(mp4_bytes())
    assert strip_video_metadata(source, clean) == 0
    assert clean.read_bytes() == source.read_bytes()
