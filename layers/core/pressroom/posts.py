"""From a source file's bytes to a validated Post: front matter, dates, taxonomy, URL, body.

Pure: no AWS, no environment, no clock. Semantics follow Jekyll 4 (see README, "The post
format"); every problem found is reported to the editor at once, with a hint to fix it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any, ClassVar

import nh3
import yaml
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt

from pressroom.config import SiteConfig
from pressroom.errors import InvalidPost, PostProblem
from pressroom.site import SiteUrls, date_tokens, expand, slugify

_FILE_NAME = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})-(.+?)(\.[^.]+)?$")
_DATE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_EXCERPT_CHARS = 140


@dataclass(frozen=True)
class Term:
    """A category or tag: its slug (identity and URL) and the name editors wrote."""

    slug: str
    name: str


@dataclass(frozen=True)
class Post:
    """A parsed, validated post, ready to render and to index."""

    source_key: str
    title: str
    date: datetime
    slug: str
    url: str
    layout: str
    categories: tuple[Term, ...]
    tags: tuple[Term, ...]
    published: bool
    body_html: str
    excerpt: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def date_utc(self) -> datetime:
        return self.date.astimezone(UTC)

    @property
    def display_date(self) -> str:
        return format_date(self.date)


def format_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S %z")


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that keeps `10:00`, `yes`, `on` and dates as strings and rejects duplicate keys."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}  # type: ignore[misc]

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Aliases are refused outright: "billion laughs" documents cannot expand.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "an alias (*name) is not allowed", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | None):
                raise yaml.constructor.ConstructorError(
                    None, None, "found a key that is not a plain word", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Only unambiguous scalars are typed; `10:00`, `yes`, `3.10`, `+1`, dates and numbers of more
# than 18 digits stay text.
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^-?(?:0|[1-9][0-9]{0,17})$", "-0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _FrontMatterLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _FrontMatterHandler(YAMLHandler):
    """python-frontmatter's YAML handler with an exact boundary (blank lines are content)."""

    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_FrontMatterLoader)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True})


def render_markdown(text: str) -> str:
    """CommonMark to HTML; raw HTML passes through untouched."""
    return str(_markdown().render(text))


def decode_source(source_key: str, raw: bytes, config: SiteConfig) -> str:
    """Check size and encoding before anything is parsed; the text with any BOM removed."""
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
    try:
        text = raw.decode("utf-8-sig")
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


def parse_post(source_key: str, raw: bytes, config: SiteConfig, layouts: Collection[str]) -> Post:
    """Parse and validate one source file. Raises InvalidPost listing every problem."""
    text = decode_source(source_key, raw, config)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front, body = _split_front_matter(source_key, text, config.limits.max_body_chars)
    problems: list[PostProblem] = []
    file_date, file_slug = _from_file_name(source_key)

    title = _title(front, config, problems)
    has_date = front.get("date") not in (None, "")
    when = _date(front["date"], config, problems) if has_date else None
    if not has_date:
        if file_date is None:
            problems.append(
                PostProblem(
                    "date",
                    "is missing and the file name has no YYYY-MM-DD- prefix",
                    "add a line like `date: 2026-01-17 07:46:06 +0800`",
                )
            )
        elif _in_range(file_date.replace(tzinfo=config.zone), config):
            when = file_date.replace(tzinfo=config.zone)
        else:
            problems.append(
                PostProblem(
                    "date",
                    f"{file_date.date().isoformat()} (from the file name) is out of range",
                    "use a year from 1000 to 9998, or set `date:`",
                )
            )
    categories = _terms(front, "category", "categories", config.limits.max_categories, problems)
    tags = _terms(front, "tag", "tags", config.limits.max_tags, problems)
    slug_source = front.get("slug", file_slug)
    slug = slugify(str(slug_source), cased=True) if slug_source is not None else ""
    if not slug:
        problems.append(
            PostProblem("slug", "is empty", "name the file YYYY-MM-DD-some-words.md or set `slug:`")
        )
    layout = front.get("layout", config.default_layout)
    if not isinstance(layout, str) or layout not in layouts:
        problems.append(
            PostProblem(
                "layout",
                f"{layout!r} is not a layout of this site",
                f"use one of: {', '.join(sorted(layouts))}",
            )
        )
    published = front.get("published", True)
    if not isinstance(published, bool):
        problems.append(
            PostProblem(
                "published", f"{published!r} is not true or false", "write `published: false`"
            )
        )

    url = ""
    taxonomy_ok = not any(p.field in ("categories", "category") for p in problems)
    if when is not None and slug and taxonomy_ok:
        url = _url(front, when, slug, categories, config, problems)
    if problems:
        raise InvalidPost(source_key, problems)
    assert when is not None
    body_html = render_markdown(body)
    if config.sanitize:
        body_html = nh3.clean(body_html)
    return Post(
        source_key=source_key,
        title=title,
        date=when,
        slug=slug,
        url=url,
        layout=str(layout),
        categories=categories,
        tags=tags,
        published=bool(published),
        body_html=body_html,
        excerpt=excerpt(body_html),
        data=_template_data(front),
    )


def _split_front_matter(
    source_key: str, text: str, max_body_chars: int
) -> tuple[dict[str, Any], str]:
    first_line = text.split("\n", 1)[0]
    if first_line.rstrip() != "---":
        if text.lstrip().startswith("---"):
            blank = len(text) - len(text.lstrip())
            line = text[:blank].count("\n") + 1
            problem = PostProblem(
                "front matter",
                f"does not start on line 1 (line 1 is {'blank' if line > 1 else 'indented'})",
                "delete everything before the first `---`",
                1,
            )
        else:
            problem = PostProblem(
                "front matter",
                "is missing: the file must begin with a line `---`",
                "start the file with `---`, then `title: ...`, `date: ...`, then `---`",
                1,
            )
        raise InvalidPost(source_key, [problem])
    if not re.search(r"^-{3,}[ \t]*$", text.split("\n", 1)[1] if "\n" in text else "", re.M):
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "front matter", "is not closed", "add a line `---` after the last key", 1
                )
            ],
        )
    handler = _FrontMatterHandler()
    front, body = handler.split(text)
    body = body.removeprefix("\n")
    if len(body) > max_body_chars:  # before the YAML is read or the body rendered
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "body",
                    f"has {len(body):,} characters, over the limit of {max_body_chars:,}",
                    "split the post into parts",
                )
            ],
        )
    try:
        metadata = handler.load(front) if front.strip() else {}
    except yaml.YAMLError as error:
        raise InvalidPost(source_key, [_yaml_problem(error, text)]) from None
    except (RecursionError, ValueError, OverflowError) as error:
        raise InvalidPost(
            source_key, [PostProblem("front matter", f"cannot be read ({error})", "simplify it")]
        ) from None
    if not isinstance(metadata, dict):
        raise InvalidPost(
            source_key,
            [PostProblem("front matter", "is not a list of `key: value` lines", "see README", 2)],
        )
    bad_keys = [key for key in metadata if not isinstance(key, str)]
    if bad_keys:
        raise InvalidPost(
            source_key,
            [PostProblem("front matter", f"key {bad_keys[0]!r} is not text", "use words as keys")],
        )
    problems: list[PostProblem] = []
    metadata = {key: _readable(value, key, problems) for key, value in metadata.items()}
    if problems:
        raise InvalidPost(source_key, problems)
    return metadata, body


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _readable(value: Any, field: str, problems: list[PostProblem]) -> Any:
    """Front-matter text as characters a page can hold: `\\u` escapes of surrogate pairs (JSON
    style emoji) joined; a lone half of a pair, or an invisible control character, refused."""
    if isinstance(value, dict):
        return {key: _readable(item, field, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_readable(item, field, problems) for item in value]
    if not isinstance(value, str):
        return value
    if any("\ud800" <= char <= "\udfff" for char in value):
        try:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            problems.append(
                PostProblem(
                    field,
                    "contains half of a \\u escape pair (an emoji or rare character cut in two)",
                    "write the character itself instead of its \\u escape",
                )
            )
            return value
    control = _CONTROL.search(value)
    if control:
        problems.append(
            PostProblem(
                field,
                f"contains the invisible control character U+{ord(control.group()):04X}",
                "delete it (it may come from a `\\x`, `\\0` or `\\e` escape or a copy and paste)",
            )
        )
    return value


_UNCLOSED = {
    "while scanning a quoted scalar": "quote",
    "while parsing a flow sequence": "`[`",
    "while parsing a flow mapping": "`{`",
}


def _yaml_problem(error: yaml.YAMLError, text: str) -> PostProblem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(error, "problem", None) or error)
    lines = text.split("\n")
    source_line = lines[line - 1].strip() if line and line <= len(lines) else ""
    shown = f" in `{source_line[:80]}`" if source_line else ""
    message = f"is not valid YAML ({problem}){shown}"
    hint = "quote values that contain `: ` or start with `[`, `{`, `*`, `&`, `!` or `|`"
    opened = _UNCLOSED.get(str(getattr(error, "context", "") or ""))
    context_mark = getattr(error, "context_mark", None)
    unclosed = "end of stream" in problem or (
        mark is not None and context_mark is not None and mark.line > context_mark.line
    )
    if opened and context_mark is not None and unclosed:
        line = context_mark.line + 1
        start = lines[line - 1].strip() if line <= len(lines) else ""
        message = f"has a {opened} that is never closed in `{start[:80]}`"
        hint = f"close the {opened} on the same line"
        if opened != "quote":
            hint += ", or quote the whole value"
    elif "expected ','" in problem:
        hint = "separate the items with `, ` and put an item with quotes or commas in single quotes"
    elif "duplicate key" in problem:
        message, hint = f"has a {problem}", "keep only one line for each key"
    elif "alias" in problem:
        message = f"uses an alias (*name), which is not allowed{shown}"
        hint = "write the value out in full, or quote a value that starts with `*`"
    elif "could not determine a constructor" in problem:
        message = f"uses a tag that is not allowed{shown}"
        hint = "remove the `!!...` or `!...` tag, or quote the value"
    elif "not a plain word" in problem:
        hint = "write each key as a plain word followed by `: `, like `title: ...`"
    elif "\\t" in problem or "\t" in source_line:
        hint = "indent with spaces, not tabs"
    elif _has_inner_quote(source_line):
        key = source_line.split(":", 1)[0]
        message = f"{key} contains a double quote inside double quotes{shown}"
        hint = (
            f'write \\" for each quote inside the value, or wrap the {key} in single quotes, '
            "or use “” or 「」"
        )
    return PostProblem("front matter", message, hint, line)


def _has_inner_quote(line: str) -> bool:
    _, _, value = line.partition(":")
    value = value.strip()
    return value.startswith('"') and value.replace('\\"', "").count('"') > 2


def _from_file_name(source_key: str) -> tuple[datetime | None, str]:
    name = PurePosixPath(source_key).name
    match = _FILE_NAME.match(name)
    if match:
        try:
            day = date.fromisoformat(_pad_date(match.group(1)))
        except ValueError:
            return None, match.group(2)
        return datetime(day.year, day.month, day.day), match.group(2)
    return None, PurePosixPath(name).stem


def _pad_date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _title(front: dict[str, Any], config: SiteConfig, problems: list[PostProblem]) -> str:
    value = front.get("title")
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(
            PostProblem(
                "title",
                "is missing" if value is None else "is empty",
                'add a line like `title: "港口吞吐量创新高"`',
            )
        )
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.append(PostProblem("title", "is not text", "put the title in quotes"))
        return ""
    title = " ".join(str(value).split())
    if len(title) > config.limits.max_title_chars:
        problems.append(
            PostProblem(
                "title",
                f"has {len(title)} characters, over the limit of {config.limits.max_title_chars}",
                "shorten the title",
            )
        )
    return title


def _date(value: Any, config: SiteConfig, problems: list[PostProblem]) -> datetime | None:
    text = str(value).strip() if value is not None else ""
    match = _DATE.match(text)
    if not match:
        problems.append(
            PostProblem(
                "date",
                f"{text!r} is not a date" if text else "is empty",
                "write it as `YYYY-MM-DD HH:MM:SS +0800` (the offset may be left out)",
            )
        )
        return None
    parts = match.groupdict()
    try:
        offset = _offset(parts["tz"]) if parts["tz"] else None
        fraction = (parts["f"] or "0")[:6].ljust(6, "0")
        naive = datetime(
            int(parts["y"]),
            int(parts["m"]),
            int(parts["d"]),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            int(fraction),
        )
    except ValueError as error:
        problems.append(
            PostProblem(
                "date", f"{text!r} is impossible ({error})", "check the day, month and time"
            )
        )
        return None
    when = naive.replace(tzinfo=offset or config.zone)
    if not _in_range(when, config):
        problems.append(
            PostProblem("date", f"{text!r} is out of range", "use a year from 1000 to 9998")
        )
        return None
    return when


def _in_range(when: datetime, config: SiteConfig) -> bool:
    """Four-digit years in UTC and in the site's zone, so dates sort and print as text."""
    try:
        years = [when.astimezone(zone).year for zone in (UTC, config.zone)]
    except OverflowError:
        return False
    return all(1000 <= year <= 9999 for year in years)


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59 or (hours == 14 and minutes):
        raise ValueError(f"time-zone offset {text} does not exist")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _terms(
    front: dict[str, Any], singular: str, plural: str, limit: int, problems: list[PostProblem]
) -> tuple[Term, ...]:
    names: list[str] = []
    many = front.get(plural)
    if isinstance(many, str):
        names.extend(many.split())
    elif isinstance(many, list):
        for item in many:
            if isinstance(item, dict | list):
                problems.append(
                    PostProblem(
                        plural,
                        f"contains {_shown(item)}",
                        f"list plain names: `{plural}: [a, b]`",
                    )
                )
            elif item is not None:
                names.append(str(item))
    elif many is not None:
        names.append(str(many))
    one = front.get(singular)
    if isinstance(one, dict | list):
        problems.append(PostProblem(singular, "must be one name", f"use `{plural}:` for a list"))
    elif one is not None:
        names.append(str(one))
    terms: dict[str, Term] = {}
    for name in names:
        name = " ".join(name.split())
        slug = slugify(name)
        if not slug:
            problems.append(
                PostProblem(plural, f"{name!r} has no letters or digits", "use a real name")
            )
            continue
        terms.setdefault(slug, Term(slug, name))
    if len(terms) > limit:
        problems.append(
            PostProblem(plural, f"has {len(terms)} entries, over the limit of {limit}", "use fewer")
        )
    return tuple(terms.values())


def _shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _url(
    front: dict[str, Any],
    when: datetime,
    slug: str,
    categories: tuple[Term, ...],
    config: SiteConfig,
    problems: list[PostProblem],
) -> str:
    explicit = "permalink" in front
    pattern = front.get("permalink") if explicit else config.permalink
    if not isinstance(pattern, str) or not pattern.strip():
        problems.append(PostProblem("permalink", "is empty", "write a path like /2026/story.html"))
        return ""
    values = date_tokens(when) | {
        "title": slug,
        "slug": slug,
        "categories": "/".join(term.slug for term in categories),
    }
    url = expand(pattern.strip(), values)
    if url.endswith("/index.html"):  # served by the same object as the folder URL
        url = url.removesuffix("index.html")
    problem = _unsafe_url(url, pattern)
    urls = SiteUrls(config)
    if problem is None and (url in urls.reserved_urls or (explicit and urls.is_reserved(url))):
        problem = f"{url} belongs to the site's own pages"
    if problem:
        problems.append(
            PostProblem("permalink", problem, "use a path of your own, like /2026/01/story.html")
        )
        return ""
    return url


def _unsafe_url(url: str, pattern: str) -> str | None:
    if not pattern.startswith("/") or pattern.startswith("//") or "://" in pattern:
        return f"{pattern!r} must be a path on this site starting with a single /"
    if any(char in url for char in "\\?#%\"'<>`") or any(_invisible(char) for char in url):
        return (
            f"{url!r} contains a character not allowed in a URL path "
            "(\\ ? # % quotes < > or an invisible one)"
        )
    segments = url.split("/")
    if any(segment in (".", "..") for segment in segments):
        return f"{url!r} contains . or .. segments"
    if len(url.encode()) > 512:
        return "is longer than 512 bytes"
    return None


def _invisible(char: str) -> bool:
    """Control, format (bidi overrides, zero-width) and line/paragraph separator characters."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _template_data(front: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in front.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


_VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML fragment (skips scripts, styles and display:none elements)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_ELEMENTS:
            if tag == "br" and not self._hidden_depth:
                self.parts.append(" ")
            return
        if self._hidden_depth:
            self._hidden_depth += 1
            return
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        if tag in ("script", "style") or "display:none" in style:
            self._hidden_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_ELEMENTS:
            return
        if self._hidden_depth:
            self._hidden_depth -= 1
        elif tag in ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "div", "tr"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def excerpt(body_html: str, limit: int = _EXCERPT_CHARS) -> str:
    """Plain text from the start of the body, for listings."""
    extractor = _TextExtractor()
    extractor.feed(body_html)
    text = " ".join("".join(extractor.parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            target = dict(attrs).get("href")
            if target:
                self.links.append(html.unescape(target))


def body_links(body_html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(body_html)
    return collector.links


def internal_links(post: Post, urls: SiteUrls) -> list[str]:
    """Site paths the post's body links to (links that leave the site are not listed)."""
    paths: list[str] = []
    for link in body_links(post.body_html):
        path = urls.internal_path(link, post.url)
        if path is not None and path not in paths:
            paths.append(path)
    return paths


def month_of(when: datetime, config: SiteConfig) -> str:
    """The archive month ('YYYY-MM') a date belongs to, in the site's time zone."""
    local = when.astimezone(config.zone)
    return f"{local.year:04d}-{local.month:02d}"


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
