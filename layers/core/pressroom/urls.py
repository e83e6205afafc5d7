"""How the site is addressed: slugs, URL patterns, object keys and links."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import unquote, urljoin, urlsplit

from pressroom.config import SiteConfig
from pressroom.model import TaxonomyKind

_UNSAFE_SLUG_CHARS = re.compile(r"[^\w.~()-]+")
_REPEATED_DASHES = re.compile(r"-{2,}")
_TOKEN = re.compile(r":([a-z_]+)")
_HREF_SAFE_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/()!$&'*+,;=:@"
)


def slugify(text: str, *, cased: bool = False) -> str:
    """The one slug function: NFKC (full-width to half-width), case-folded unless `cased`,
    anything but letters, digits and `._~()-` becomes one dash. Chinese stays readable."""
    normal = unicodedata.normalize("NFKC", text)
    if not cased:
        normal = normal.casefold()
    slug = _REPEATED_DASHES.sub("-", _UNSAFE_SLUG_CHARS.sub("-", normal))
    slug = slug.strip("-.")
    while ".." in slug:
        slug = slug.replace("..", ".")
    return slug


def expand(pattern: str, values: dict[str, str]) -> str:
    """Fill a `:token` URL pattern; unknown tokens stay as written. Collapses empty segments."""

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    url = _TOKEN.sub(fill, pattern)
    return re.sub(r"/{2,}", "/", url)


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
    return "".join(
        char if char in _HREF_SAFE_ASCII or ord(char) > 127 else f"%{ord(char):02X}" for char in url
    )


class SiteUrls:
    """Every URL pressroom generates, from the site configuration's patterns."""

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
        )
        self.reserved_prefixes = tuple(
            sorted(
                {
                    pattern.split(":", 1)[0].rsplit("/", 1)[0] + "/"
                    for pattern in (
                        config.category_path,
                        config.category_archive_path,
                        config.tag_path,
                        config.tag_archive_path,
                    )
                    if ":" in pattern
                }
                | {"/.well-known/"}
            )
        )

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
        """The site path a link in a page points to, or None when it leaves the site."""
        link = link.strip()
        if not link or link.startswith("#"):
            return None
        parts = urlsplit(link)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None
        if parts.netloc and not self._same_host(parts.hostname, parts.port):
            return None
        path = (parts.path or "/") if parts.netloc else urlsplit(urljoin(page_url, link)).path
        return unquote(path) or "/"
