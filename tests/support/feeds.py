"""Atom feeds as a reader and a validator see them: RFC 4287's RELAX NG schema (vendored in
tests/schemas, compiled with rnc2rng, validated by lxml), the schema's Schematron rules and
the RFC's other musts, and feedparser's reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import feedparser
import rnc2rng
from lxml import etree

from support.paths import ROOT

ATOM = "{http://www.w3.org/2005/Atom}"


@cache
def atom_schema() -> etree.RelaxNG:
    grammar = rnc2rng.dumps(rnc2rng.load(str(ROOT / "tests" / "schemas" / "atom.rnc")))
    # rnc2rng declares `local` as the empty namespace, which XML namespaces do not allow.
    grammar = grammar.replace(' xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(grammar.encode("utf-8")))


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    link: str
    updated: str
    summary: str


@dataclass(frozen=True)
class AtomFeed:
    title: str
    self_link: str
    updated: str
    entries: tuple[AtomEntry, ...]
    parsed: Any  # feedparser's reading


def _aware(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None, f"{text} has no offset"
    return when


def read_atom(body: bytes) -> AtomFeed:
    """The feed, after asserting it is valid Atom: well-formed, valid against RFC 4287's
    schema, an author for every entry, an alternate link per entry, unique entry ids, dates
    with an offset and the feed's `updated` no older than any entry's, and read by
    feedparser without complaint."""
    root = etree.fromstring(body)
    schema = atom_schema()
    assert schema.validate(root), str(schema.error_log)
    entries = root.findall(f"{ATOM}entry")
    feed_author = root.find(f"{ATOM}author")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids), f"entry ids repeat: {ids}"
    feed_updated = _aware(root.findtext(f"{ATOM}updated") or "")
    read = []
    for entry in entries:
        assert feed_author is not None or entry.find(f"{ATOM}author") is not None
        alternate = [
            link.get("href", "")
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternate) == 1, "an entry has exactly one alternate link"
        updated = entry.findtext(f"{ATOM}updated") or ""
        assert _aware(updated) <= feed_updated
        read.append(
            AtomEntry(
                entry.findtext(f"{ATOM}id") or "",
                entry.findtext(f"{ATOM}title") or "",
                alternate[0],
                updated,
                entry.findtext(f"{ATOM}summary") or "",
            )
        )
    self_links = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(self_links) == 1
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [entry.id for entry in parsed.entries] == ids
    return AtomFeed(
        root.findtext(f"{ATOM}title") or "",
        self_links[0].get("href", ""),
        root.findtext(f"{ATOM}updated") or "",
        tuple(read),
        parsed,
    )
