"""The hostile corpus: files an editor (or an attacker) might upload, each with its outcome.

`cases.yaml` lists every case. A case is a file in `posts/` (kept byte-exact: GBK, Latin-1,
UTF-16, BOM, CRLF and NUL files are binary), or is generated at test time from the site's
limits (`generate:`) so that the repository stays small. `baseline/` holds the good posts the
site already has when each hostile file arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from pressroom.config import SiteConfig

HOSTILE = Path(__file__).resolve().parent
POSTS = HOSTILE / "posts"
BASELINE = HOSTILE / "baseline"
SITE_CONFIG = HOSTILE.parents[1] / "templates" / "site.yaml"


@dataclass(frozen=True)
class Expected:
    """One problem a rejection must report (the message need only contain `message`, the
    hint `hint`)."""

    field: str
    message: str
    line: int | None = None
    hint: str = ""


@dataclass(frozen=True)
class Case:
    file: str
    why: str
    outcome: str  # "published", "rejected" or "waiting" (another post keeps its URL)
    problems: tuple[Expected, ...] = ()
    url: str = ""
    title: str = ""
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    trusted_body: bool = False
    unit_outcome: str = ""  # when parsing alone decides otherwise (e.g. a URL another post owns)
    generate: str = ""
    requires: str = ""  # a Limits field the case needs (skipped while the site has none)
    key_bytes: int = 0  # the source key is made this long (UTF-8) from the file's name
    warnings: int | None = None  # a published case: how many warnings its record stores

    @property
    def name(self) -> str:
        """The name uploaded under posts/: the file's, or with key_bytes, that name padded with
        Chinese characters (3 bytes each, then ASCII) until `posts/<name>` has key_bytes."""
        if not self.key_bytes:
            return self.file
        stem, dot, extension = self.file.rpartition(".")
        missing = self.key_bytes - len(f"posts/{self.file}".encode())
        assert missing >= 0, self
        return f"{stem}-{'长' * ((missing - 1) // 3)}{'x' * ((missing - 1) % 3)}{dot}{extension}"

    @property
    def key(self) -> str:
        return f"posts/{self.name}"


def load_cases() -> list[Case]:
    data = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))
    cases = []
    for entry in data["cases"]:
        entry = dict(entry)
        problems = tuple(Expected(**problem) for problem in entry.pop("problems", []))
        for name in ("present", "absent"):
            entry[name] = tuple(entry.get(name, ()))
        cases.append(Case(problems=problems, **entry))
    names = [case.file for case in cases]
    assert len(names) == len(set(names)), "a file is listed twice in cases.yaml"
    on_disk = {path.name for path in POSTS.iterdir()}
    listed = {case.file for case in cases if not case.generate}
    assert on_disk == listed, f"unlisted: {on_disk - listed}, missing: {listed - on_disk}"
    return cases


def site_config() -> SiteConfig:
    return SiteConfig.load(SITE_CONFIG)


def baseline_posts() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(BASELINE.glob("*.md"))}


def _post(title: str, front: str = "", body: str = "<p>正文。</p>\n") -> str:
    lines = ["---", f'title: "{title}"', "date: 2025-03-05 09:30:00 +0800", front, "---"]
    return "\n".join(line for line in lines if line) + "\n" + body


def source_bytes(case: Case, config: SiteConfig) -> bytes:
    """The bytes uploaded for a case: its file, or what `generate` makes from the limits."""
    if not case.generate:
        return (POSTS / case.file).read_bytes()
    limits = config.limits
    match case.generate:
        case "oversize":  # one byte over the object size limit, otherwise a good post
            head = _post("超过大小限制", "categories: hostile").encode()
            return head + b"x" * (limits.max_source_bytes + 1 - len(head))
        case "enormous-title":
            return _post("长" * (limits.max_title_chars * 20)).encode()
        case "thousands-of-categories":
            names = ", ".join(f"分类{number}" for number in range(3000))
            return _post("三千个分类", f"categories: [{names}]").encode()
        case "thousands-of-tags":
            return _post("两千个标签", "tags: " + " ".join(f"t{n}" for n in range(2000))).encode()
        case "body-over-limit":  # under the object size limit, over the body limit
            limit = int(getattr(limits, "max_body_chars", 0))
            return _post("正文太长", body="字" * (limit + 1)).encode()
        case "long-chinese-tag":  # its counter key `<slug>#<spelling>` is 1,051 bytes
            return _post("标签太长", "tags: " + "厦" * 175).encode()
        case "long-category-spelling":  # a short slug, a counter key of 1,213 bytes
            return _post("分类写法太长", "categories: 新闻" + "－" * 400).encode()
        case "long-file-name":  # a good post; its key is made long by `key_bytes`
            return _post("文件名太长", "categories: hostile\nslug: long-file-name").encode()
        case "permalink-over-1024-bytes":
            return _post("链接太长", "permalink: /" + "长" * 400 + ".html").encode()
        case "nine-thousand-links":  # 9,000 distinct internal links to no page
            links = " ".join(f"[x](/m/{number}.html)" for number in range(9000))
            body = f"<p>正文。</p>\n\n{links}\n"
            return _post("九千个链接", "categories: hostile", body).encode()
    raise AssertionError(f"unknown generator {case.generate!r}")


def unsupported(case: Case, config: SiteConfig) -> str | None:
    """Why a case cannot run against this configuration, or None."""
    if case.requires and not hasattr(config.limits, case.requires):
        return f"the site configuration has no limits.{case.requires}"
    if case.generate == "body-over-limit":
        limit = int(getattr(config.limits, "max_body_chars", 0))
        if 3 * (limit + 1) + 200 > config.limits.max_source_bytes:
            return "the body limit is not below the object size limit"
    return None


# --------------------------------------------------------------------------- reading pages


class PageReader(HTMLParser):
    """Tags, attributes and element texts of a page, as a browser would decode them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.texts: list[tuple[str, dict[str, str], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag in ("title", "h1", "a", "li", "p"):
            self._open.append((tag, values, []))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                name, attrs, parts = self._open.pop(index)
                self.texts.append((name, attrs, "".join(parts)))
                return

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def text_of(self, tag: str, **attrs: str) -> list[str]:
        return [
            text
            for name, values, text in self.texts
            if name == tag and all(values.get(key) == value for key, value in attrs.items())
        ]


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
ACTIVE_ELEMENTS = ("iframe", "object", "embed", "svg", "img", "base", "form")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "poster", "xlink:href")


def unsafe_markup(html: str, *, allow_body_script: bool = False) -> list[str]:
    """What in a page could run script or leave the page: script, iframe, object, embed, svg,
    img, base and form elements, meta refreshes, event-handler attributes, and URLs with a
    script scheme. Empty when the page is safe (the site's templates use none of these)."""
    found = []
    for tag, attrs in read_page(html).tags:
        if tag in ACTIVE_ELEMENTS or (tag == "script" and not allow_body_script):
            found.append(f"<{tag}> element")
        if tag == "meta" and "http-equiv" in attrs:
            found.append(f"<meta http-equiv={attrs['http-equiv']!r}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{name}= on <{tag}>")
            is_url = name in URL_ATTRIBUTES or (
                name == "content" and attrs.get("property", "").endswith(":url")
            )
            if is_url and "".join(value.split()).lower().startswith(DANGEROUS_SCHEMES):
                found.append(f"{name}={value!r} on <{tag}>")
    return found


def problem_mismatches(case: Case, problems: list[dict[str, Any]]) -> list[str]:
    """How reported problems ({field, message, hint, line}) differ from the case's: each
    expected problem must be there, no other field may be blamed, every problem needs a hint."""
    wrong = []
    for expected in case.problems:
        if not any(
            problem["field"] == expected.field
            and expected.message in problem["message"]
            and expected.hint in str(problem["hint"])
            and (expected.line is None or problem.get("line") == expected.line)
            for problem in problems
        ):
            wrong.append(f"no problem like {expected} in {problems}")
    blamed = {problem["field"] for problem in problems}
    if blamed != {expected.field for expected in case.problems}:
        wrong.append(f"fields blamed: {sorted(blamed)}")
    wrong += [f"no hint: {problem}" for problem in problems if not str(problem["hint"]).strip()]
    wrong += [
        f"too long to read: {str(problem)[:200]}…"
        for problem in problems
        if len(str(problem["message"])) > 300 or len(str(problem["hint"])) > 300
    ]
    return wrong


def post_page_mismatches(case: Case, html: str, site_title: str) -> list[str]:
    """How a published case's own page differs from what its reader must see."""
    page = read_page(html)
    wrong = []
    seen = {
        "<h1>": page.text_of("h1", **{"class": "post-title"}),
        "<title>": page.text_of("title"),
        "og:title": [
            attrs.get("content", "")
            for tag, attrs in page.tags
            if tag == "meta" and attrs.get("property") == "og:title"
        ],
    }
    wanted = {"<h1>": case.title, "<title>": f"{case.title} | {site_title}", "og:title": case.title}
    for where, texts in seen.items():
        if texts != [wanted[where]]:
            wrong.append(f"{where} reads {texts}, not [{wanted[where]!r}]")
    wrong += [f"missing {text!r}" for text in case.present if text not in html]
    wrong += [f"contains {text!r}" for text in case.absent if text in html]
    wrong += unsafe_markup(html, allow_body_script=case.trusted_body)
    return wrong
