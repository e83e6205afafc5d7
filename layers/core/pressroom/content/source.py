"""A source file's bytes to text: size, encoding and NUL checks, before anything is parsed."""

from __future__ import annotations

from pressroom.config import SiteConfig
from pressroom.errors import InvalidPost
from pressroom.model import PostProblem


def decode_source(source_key: str, raw: bytes, config: SiteConfig) -> str:
    """Check size and encoding before anything is parsed; the text with any BOM removed."""
    kind = file_kind(raw)
    if kind:
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "file",
                    f"is {kind}, not a post (a post is UTF-8 text that starts with front matter)",
                    "move it out of posts/: images, PDFs, fonts and downloads belong under assets/",
                )
            ],
        )
    limit = config.limits.max_source_bytes
    if len(raw) > limit:
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "file",
                    f"is over the size limit of {limit:,} bytes",
                    "split the post or move large media to assets/",
                )
            ],
        )
    if not raw.strip():
        raise InvalidPost(source_key, [PostProblem("file", "is empty", "upload the post's text")])
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InvalidPost(source_key, [PostProblem("file", "is UTF-32", "save the file as UTF-8")])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidPost(source_key, [PostProblem("file", "is UTF-16", "save the file as UTF-8")])
    raw = raw.removeprefix(_BOM)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        guess = _guess_encoding(raw)
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "file",
                    f"is not UTF-8 (byte 0x{raw[error.start]:02x}){guess}",
                    "save the file as UTF-8",
                    line,
                )
            ],
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidPost(
            source_key,
            [PostProblem("file", "contains NUL bytes", "save it as plain UTF-8 text", line)],
        )
    return text


_BOM = b"\xef\xbb\xbf"
# How files that are not text begin (their "magic numbers"), and what they are.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"\x1f\x8b", "a gzip archive"),
)


def file_kind(raw: bytes) -> str:
    """What a file that is no post is, from its first bytes ("" when it may be text)."""
    for signature, kind in _SIGNATURES:
        if raw.startswith(signature):
            return kind
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "a WebP image"
    if raw[4:8] == b"ftyp":
        return "an MP4 video or HEIC image"
    head = raw.removeprefix(_BOM)[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "an SVG image"
    return ""


def _guess_encoding(raw: bytes) -> str:
    sample = raw[:4096]
    if sample.count(0) * 3 > len(sample):  # ASCII in UTF-16 is every other byte zero
        return "; it looks like UTF-16"
    for name, label in (("gb18030", "GBK/GB18030"), ("big5", "Big5")):
        try:
            raw.decode(name)
        except UnicodeDecodeError:
            continue
        return f"; it looks like {label}"
    return ""
