"""Sitemaps as a crawler reads them: valid against the sitemaps.org XSDs (vendored in
tests/schemas, validated by lxml) and within the protocol's limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from urllib.parse import unquote, urlsplit

from lxml import etree

from support.paths import ROOT

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024


@cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ROOT / "tests" / "schemas" / name)))


def _checked(body: bytes, xsd: str, site: str) -> etree._Element:
    """The document's root, after asserting the protocol's rules: UTF-8 XML valid against
    the schema, at most 50,000 entries and 50 MB, every `loc` an absolute, ASCII URL of the
    site no longer than 2,048 characters, and no `loc` twice in the file."""
    assert len(body) <= MAX_BYTES, f"{len(body):,} bytes"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(body)
    validator = schema(xsd)
    assert validator.validate(root), str(validator.error_log)
    locs = [str(loc.text) for loc in root.iter(f"{SM}loc")]
    assert 0 < len(locs) <= MAX_URLS
    assert len(set(locs)) == len(locs), "a URL is listed twice"
    for loc in locs:
        assert loc.isascii() and len(loc) <= 2048, loc
        assert loc.startswith(site + "/"), loc
    return root


def read_sitemap(body: bytes, site: str) -> dict[str, str]:
    """A shard's URLs with their `lastmod` ("" where it has none), each date with an offset."""
    root = _checked(body, "sitemap.xsd", site)
    entries: dict[str, str] = {}
    for url in root.iter(f"{SM}url"):
        lastmod = url.findtext(f"{SM}lastmod") or ""
        if lastmod:
            assert datetime.fromisoformat(lastmod).tzinfo is not None, lastmod
        entries[str(url.findtext(f"{SM}loc"))] = lastmod
    return entries


def read_index(body: bytes, site: str) -> list[str]:
    """An index's shard URLs, in order."""
    root = _checked(body, "siteindex.xsd", site)
    return [str(loc.text) for loc in root.iter(f"{SM}loc")]


def path_of(loc: str) -> str:
    """The site path a `loc` names, as S3 behind CloudFront reads it."""
    return unquote(urlsplit(loc).path)


def crawl(read: Callable[[str], bytes | None], site: str, index_path: str) -> dict[str, str]:
    """Every URL the sitemap index leads to, with its lastmod: the index and each shard are
    read (by site path) and validated; a shard the index names must exist."""
    body = read(index_path)
    assert body is not None, f"no sitemap index at {index_path}"
    found: dict[str, str] = {}
    for shard in read_index(body, site):
        content = read(path_of(shard))
        assert content is not None, f"the index names {shard}, which does not exist"
        found |= read_sitemap(content, site)
    return found
