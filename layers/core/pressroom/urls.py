"""How the site is addressed: slugs, URL patterns, object keys and links."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit

from pressroom.config import SiteConfig
from pressroom.model import TaxonomyKind

_UNSAFE_SLUG_CHARS = re.compile(r"[^\w.~()-]+")
_REPEATED_DASHES = re.compile(r"-{2,}")
_TOKEN = re.compile(r":([a-z_]+)")
# `+` is not here: S3 reads a literal `+` in a request path as a space, so a link writes `%2B`.
_HREF_SAFE_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/()!$&'*,;=:@"
)
# Each other ASCII character's percent-escape (characters past ASCII are not in the table).
_HREF_ESCAPES = {code: f"%{code:02X}" for code in range(128) if chr(code) not in _HREF_SAFE_ASCII}

# A category or tag slug spells each symbol as a word after this marker, which no letter, digit
# or separator produces: `C++` is `c!plus-plus`, `C#` is `c!sharp`, `R&D` is `r!and!d`, while
# `C plus plus` stays `c-plus-plus`. `!` is one of S3's safe characters and stays literal in
# paths and links (`~` is on S3's list of characters to avoid, and `*` is CloudFront's
# invalidation wildcard).
SYMBOL_MARK = "!"
# The word of each symbol; any other symbol is `u` and its code point in hex (`·` is `u00b7`).
# Every word is distinct, made of a-z, and none is `u` followed by hex digits only.
SYMBOL_WORDS: dict[str, str] = {
    "!": "excl",
    '"': "quot",
    "#": "sharp",
    "$": "dollar",
    "%": "percent",
    "&": "and",
    "'": "apos",
    "*": "star",
    "+": "plus",
    ",": "comma",
    ".": "dot",
    "/": "slash",
    ":": "colon",
    ";": "semi",
    "<": "lt",
    "=": "eq",
    ">": "gt",
    "?": "question",
    "@": "at",
    "[": "lbracket",
    "\\": "backslash",
    "]": "rbracket",
    "^": "caret",
    "`": "backtick",
    "{": "lbrace",
    "|": "bar",
    "}": "rbrace",
    "~": "tilde",
    "\u00a3": "pound",
    "\u00a5": "yen",
    "\u00a7": "section",
    "\u00a9": "copyright",
    "\u00ae": "registered",
    "\u00b0": "degree",
    "\u00b1": "plusminus",
    "\u00b7": "middot",
    "\u00d7": "times",
    "\u00f7": "divide",
    "\u2022": "bullet",
    "\u20ac": "euro",
}
_LITERAL_SYMBOLS = frozenset("_()")


@lru_cache(maxsize=8192)  # the same category and tag names come back with every post
def slugify(text: str, *, cased: bool = False) -> str:
    """The one slug function, both rules starting from NFKC (full-width to half-width).

    A category or tag name (the default) is case-folded, and its slug is a function of the
    folded name that tells every two folded names apart, except for how they separate words:
    letters, digits, marks and `_()` stay as they are (Chinese stays readable), each run of
    spaces and dashes is one `-` (none at the ends), a `.` stays unless it would start or end
    the slug or follow a `.` or a symbol, and each other character (a symbol) is spelled as a
    word: `!` then the words of a run of symbols joined by `-`, closed by `!` unless the slug
    ends there (`C++` `c!plus-plus`, `R&D` `r!and!d`, `a / b` `a-!slash!-b`). A name with no
    letter or digit has no slug (""). Names of letters, digits, spaces and dashes keep the slug
    they always had.

    A post's slug (`cased`, from its file name or `slug:`) keeps its case, and anything but
    letters, digits and `._~()-` becomes one dash, with no `..` and no dot or dash at the ends:
    the rule post URLs have always had, so `a+b` is `a-b`. (Two posts whose slugs meet are a
    URL conflict, which the publisher reports; two categories that met would merge silently.)
    """
    normal = unicodedata.normalize("NFKC", text)
    if cased:
        slug = _REPEATED_DASHES.sub("-", _UNSAFE_SLUG_CHARS.sub("-", normal))
        slug = slug.strip("-.")
        while ".." in slug:
            slug = slug.replace("..", ".")
        return slug
    return _term_slug(normal.casefold())


def is_separator(char: str) -> bool:
    """Whether a character of a name only separates words (a space or a dash of any script)."""
    return char.isspace() or unicodedata.category(char) == "Pd"


def _is_literal(char: str) -> bool:
    return char.isalnum() or char in _LITERAL_SYMBOLS or unicodedata.category(char)[0] == "M"


def symbol_word(char: str) -> str:
    return SYMBOL_WORDS.get(char) or f"u{ord(char):04x}"


def _term_slug(name: str) -> str:
    if not any(char.isalnum() for char in name):
        return ""
    chars = name
    start, end = 0, len(chars)
    while is_separator(chars[start]):
        start += 1
    while is_separator(chars[end - 1]):
        end -= 1
    out: list[str] = []
    in_symbols = False
    index = start
    while index < end:
        char = chars[index]
        if is_separator(char):
            while is_separator(chars[index + 1]):
                index += 1
            if in_symbols:
                out.append(SYMBOL_MARK)
                in_symbols = False
            out.append("-")
        elif _is_literal(char) or (
            char == "." and out and not in_symbols and out[-1] != "." and index < end - 1
        ):
            if in_symbols:
                out.append(SYMBOL_MARK)
                in_symbols = False
            out.append(char)
        else:
            out.append(("-" if in_symbols else SYMBOL_MARK) + symbol_word(char))
            in_symbols = True
        index += 1
    return "".join(out)


_SLASHES = re.compile(r"/{2,}")


def expand(pattern: str, values: dict[str, str]) -> str:
    """Fill a `:token` URL pattern; unknown tokens stay as written. Collapses empty segments."""

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _SLASHES.sub("/", _TOKEN.sub(fill, pattern))


def date_tokens(when: datetime) -> dict[str, str]:
    return {
        "year": f"{when.year:04d}",
        "short_year": f"{when.year % 100:02d}",
        "month": f"{when.month:02d}",
        "i_month": str(when.month),
        "day": f"{when.day:02d}",
        "i_day": str(when.day),
        "hour": f"{when.hour:02d}",
        "minute": f"{when.minute:02d}",
        "second": f"{when.second:02d}",
    }


def key_for_url(url: str) -> str:
    """The site-bucket object key that serves a URL path (folders serve index.html)."""
    path = unquote(url.split("?", 1)[0].split("#", 1)[0])
    if path.endswith("/") or path == "":
        path += "index.html"
    return path.lstrip("/")


def href(url: str) -> str:
    """A URL as written into a page: ASCII specials percent-encoded, other scripts kept readable."""
    return url.translate(_HREF_ESCAPES)


class SiteUrls:
    """Every URL pressroom generates, from the site configuration's patterns."""

    _last: tuple[SiteConfig, SiteUrls] | None = None

    @classmethod
    def of(cls, config: SiteConfig) -> SiteUrls:
        """The URLs of a configuration, made once for the configuration last asked about."""
        last = cls._last
        if last is None or last[0] is not config:
            last = cls._last = (config, cls(config))
        return last[1]

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._site = urlsplit(config.url)
        # The site's own pages, and well-known files a site may need to serve (as HTML, a post
        # there would break robots, favicons, feeds and domain verification).
        self.reserved_urls = frozenset(
            {
                "/",
                "/index.html",
                "/404.html",
                "/robots.txt",
                "/favicon.ico",
                "/sitemap.xml",
                "/feed.xml",
                "/atom.xml",
                "/.well-known",
            }
            | ({config.feed_path} if config.feed_path else set())
            | ({config.sitemap_path} if config.sitemap_path else set())
        )
        prefixes = {
            pattern.split(":", 1)[0].rsplit("/", 1)[0] + "/"
            for pattern in (
                config.category_path,
                config.category_archive_path,
                config.tag_path,
                config.tag_archive_path,
                config.category_feed_path,
                config.tag_feed_path,
            )
            if ":" in pattern
        } | {"/.well-known/"}
        if config.sitemap_path:
            prefixes.add(self.sitemap_prefix)
        self.reserved_prefixes = tuple(
            sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
        )
        # A page at a reserved folder's own name (`/feed`) would be a file where the folder is.
        self.reserved_urls |= {p[:-1] for p in self.reserved_prefixes if p.endswith("/")}

    def landing(self, kind: TaxonomyKind, slug: str) -> str:
        pattern = self.config.category_path if kind == "category" else self.config.tag_path
        return expand(pattern, {"name": slug})

    def archive(self, kind: TaxonomyKind, slug: str, month: str) -> str:
        pattern = (
            self.config.category_archive_path
            if kind == "category"
            else self.config.tag_archive_path
        )
        year, mon = month.split("-")
        return expand(pattern, {"name": slug, "year": year, "month": mon})

    def feed(self, kind: TaxonomyKind | None, slug: str = "") -> str:
        """The URL of the site's feed, or of a category's or tag's ("" when there is none)."""
        if kind is None:
            return self.config.feed_path
        pattern = (
            self.config.category_feed_path if kind == "category" else self.config.tag_feed_path
        )
        return expand(pattern, {"name": slug}) if pattern else ""

    @property
    def sitemap_prefix(self) -> str:
        """How the sitemap index's shards are named: after it, at the root (`/sitemap-`), as a
        sitemap may only list URLs under its own folder."""
        return self.config.sitemap_path.removesuffix(".xml") + "-"

    def sitemap(self, period: str) -> str:
        """A sitemap shard: the site's pages (`period` "") or the posts of a month, day or
        hour (`/sitemap-posts-2026-01.xml`, `…-2026-01-15.xml`, `…-2026-01-15-09.xml`)."""
        name = f"posts-{period.replace('T', '-')}" if period else "pages"
        return f"{self.sitemap_prefix}{name}.xml"

    def is_reserved(self, url: str) -> bool:
        return url in self.reserved_urls or url.startswith(self.reserved_prefixes)

    def absolute(self, url: str) -> str:
        return self.config.url + href(url)

    def _same_host(self, hostname: str | None, port: int | None) -> bool:
        default_ports = (None, 80, 443)
        return (hostname or "") == (self._site.hostname or "") and (
            port == self._site.port or (port in default_ports and self._site.port in default_ports)
        )

    def internal_path(self, link: str, page_url: str) -> str | None:
        """The site path a link in a page points to, or None when it leaves the site. The path
        is read as S3 reads it behind CloudFront: a literal `+` is a space (`%2B` is a plus)."""
        link = link.strip()
        if not link or link.startswith("#"):
            return None
        parts = urlsplit(link)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None
        if parts.netloc and not self._same_host(parts.hostname, parts.port):
            return None
        path = (parts.path or "/") if parts.netloc else urlsplit(urljoin(page_url, link)).path
        return unquote_plus(path) or "/"
