"""From a source file to a validated Post: the rules of each front-matter field (Jekyll 4
semantics, see README, "The post format"); every problem is reported at once, with a hint."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from pressroom.config import SiteConfig
from pressroom.content.body import body_html as render_body
from pressroom.content.body import excerpt
from pressroom.content.frontmatter import split_front_matter
from pressroom.content.source import decode_source
from pressroom.errors import InvalidPost
from pressroom.model import Post, PostProblem, TaxonomyKind, Term
from pressroom.urls import SiteUrls, date_tokens, expand, key_for_url, slugify

_FILE_NAME = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})-(.+?)(\.[^.]+)?$")
_DATE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_post(source_key: str, raw: bytes, config: SiteConfig, layouts: Collection[str]) -> Post:
    """Parse and validate one source file. Raises InvalidPost listing every problem."""
    text = decode_source(source_key, raw, config)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    front, body = split_front_matter(source_key, text, config.limits.max_body_chars)
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
    problems += key_problems(source_key, url, when, categories, tags, config)
    if problems:
        raise InvalidPost(source_key, problems)
    assert when is not None
    body_html = render_body(body, sanitize=config.sanitize)
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


def _from_file_name(source_key: str) -> tuple[datetime | None, str]:
    name = source_key.rsplit("/", 1)[-1]
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
    urls = SiteUrls.of(config)
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
    # str.isprintable() is false for every Other and Separator character but the space.
    visible = url.isprintable() or not any(_invisible(char) for char in url)
    if any(char in url for char in "\\?#%\"'<>`") or not visible:
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


# S3's longest object key, in UTF-8 bytes.
MAX_S3_KEY_BYTES = 1024


def key_problems(
    source_key: str,
    url: str,
    when: datetime | None,
    categories: tuple[Term, ...],
    tags: tuple[Term, ...],
    config: SiteConfig,
) -> list[PostProblem]:
    """S3's key limit, checked on the source key and on every page key a post makes: its own
    page and its categories' and tags' landing and archive pages. (The table's keys and items
    are checked where their layout is, in the DynamoDB adapter, and the report's key in the S3
    adapter.)"""
    problems: list[PostProblem] = []
    size = len(source_key.encode("utf-8"))
    if size > MAX_S3_KEY_BYTES:
        problems.append(
            PostProblem(
                "file",
                f"its key is {size:,} bytes; S3 allows {MAX_S3_KEY_BYTES:,}",
                f"shorten the file name by at least {size - MAX_S3_KEY_BYTES:,} bytes "
                "(a Chinese character is 3 bytes, a Latin letter 1)",
            )
        )
    if url and len(key_for_url(url).encode("utf-8")) > MAX_S3_KEY_BYTES:
        problems.append(
            PostProblem(
                "permalink",
                f"makes a page key of {len(key_for_url(url).encode()):,} bytes; "
                f"S3 allows {MAX_S3_KEY_BYTES:,}",
                "use a shorter permalink",
            )
        )
    urls = SiteUrls.of(config)
    month = config.month_of(when) if when is not None else "2000-01"
    groups: tuple[tuple[TaxonomyKind, str, tuple[Term, ...]], ...] = (
        ("category", "categories", categories),
        ("tag", "tags", tags),
    )
    for kind, field, terms in groups:
        for term in terms:
            size = _term_key_bytes(urls, kind, term.slug, month)
            if size > MAX_S3_KEY_BYTES:
                problems.append(
                    PostProblem(
                        field,
                        f"the {kind} {_shown(term.name, 24)} makes a page key of {size:,} bytes; "
                        f"S3 allows {MAX_S3_KEY_BYTES:,}",
                        f"shorten it by at least {size - MAX_S3_KEY_BYTES:,} bytes",
                    )
                )
    return problems


@lru_cache(maxsize=8192)  # a site's terms and months recur with every post
def _term_key_bytes(urls: SiteUrls, kind: TaxonomyKind, slug: str, month: str) -> int:
    """The longest page key of a term: its landing page or its month's archive."""
    pages = (urls.landing(kind, slug), urls.archive(kind, slug, month))
    return max(len(key_for_url(page).encode("utf-8")) for page in pages)


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


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
