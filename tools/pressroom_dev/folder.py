"""`pressroom build`: the whole site from a folder of posts, with no AWS at all.

It runs the same core as the pipeline — the same parser, renderer, records, listings and index
pages — over an in-memory table, so its output is what the incremental pipeline converges to.
It is the migration path from a Jekyll `_posts` folder and the oracle of the convergence tests.
"""

from __future__ import annotations

import multiprocessing
import os
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pressroom import pages
from pressroom.adapters.dynamodb import (
    OWNER_SK,
    check_commit_fits,
    claim_sk,
    counter_updates,
    is_claim_sk,
    layout_problems,
    listing_pk,
    located_terms,
    membership_items,
    months_pk,
    period_counts,
    taxonomy_pk,
    term_counts,
    url_pk,
)
from pressroom.adapters.s3 import report_key_problems
from pressroom.content import internal_links, parse_post
from pressroom.errors import InvalidPost, StaleState
from pressroom.events import post_identity, spelling_notice
from pressroom.model import (
    Claim,
    Commit,
    Entry,
    Located,
    PageRef,
    Post,
    PostProblem,
    PostRecord,
    PostState,
    Rejection,
    RenderedPage,
    TaxonomyKind,
    TermCount,
    UrlClaims,
    ranked,
    utc_text,
)
from pressroom.pages.post import render_post
from pressroom.render import SiteRenderer
from pressroom.urls import key_for_url
from pressroom.usecases.indexes import IndexBuilder
from pressroom.usecases.records import broken_links, post_record


class MemoryRepository:
    """The posts table in memory, with the same items and queries as DynamoPostRepository."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict[str, Any]]] = {}

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self.items.get(pk, {}).get(sk)

    def _put(self, pk: str, sk: str, values: dict[str, Any]) -> None:
        self.items.setdefault(pk, {})[sk] = values

    def _delete(self, pk: str, sk: str) -> None:
        self.items.get(pk, {}).pop(sk, None)

    def _rows(self, pk: str, newest_first: bool = False) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self.items.get(pk, {}).items(), reverse=newest_first)

    def load(self, source_key: str) -> PostState:
        meta = self._get(f"POST#{source_key}", "META")
        error = self._get(f"POST#{source_key}", "ERROR")
        return PostState(meta["record"] if meta else None, error["rejection"] if error else None)

    def commit(self, commit: Commit) -> None:
        record, previous = commit.record, commit.previous
        new = record.listed if record.live else None
        old = previous.listed if previous is not None and previous.live else None
        self._move_claim(commit)
        self._put(f"POST#{record.source_key}", "META", {"record": record})
        if commit.clear_rejection:
            self._delete(f"POST#{record.source_key}", "ERROR")
        new_members, old_members = membership_items(new), membership_items(old)
        for pk, sk in old_members.keys() - new_members.keys():
            self._delete(pk, sk)
        for (pk, sk), values in new_members.items():
            self._put(pk, sk, values)
        for (pk, sk, name), (attributes, hours) in counter_updates(old, new).items():
            row = dict(self._get(pk, sk) or {"name": name, "count": 0})
            for attribute, delta in attributes.items():
                row[attribute] = row.get(attribute, 0) + delta
            self._put(pk, sk, row | ({"changed": list(hours)} if hours else {}))

    def reject(self, rejection: Rejection) -> None:
        self._put(f"POST#{rejection.source_key}", "ERROR", {"rejection": rejection})

    def _move_claim(self, commit: Commit) -> None:
        """The claim items of DynamoPostRepository: `URL#<url>`/`<date>#<key>` per
        claim, and the owner item naming the first claim (with a guard a commit that read
        other claims is refused on, as the table's condition refuses it)."""
        old = commit.previous.claim if commit.previous is not None else None
        new = commit.record.claim
        if old == new:
            return
        moves = [
            (url, claim, claim is new)
            for claim, url in (
                (old, commit.previous and commit.previous.url),
                (new, commit.record.url),
            )
            if claim is not None and url
        ]
        for claims in commit.claims:
            owner = self._get(url_pk(claims.url), OWNER_SK) or {}
            if claims.guard != owner.get("guard", ""):
                raise StaleState(f"the claims on {claims.url} changed meanwhile")
        for url, claim, adding in moves:
            if adding:
                values = {"source_key": claim.source_key, "date_utc": claim.date_utc}
                self._put(url_pk(url), claim_sk(claim), values)
            else:
                self._delete(url_pk(url), claim_sk(claim))
        for url in dict.fromkeys(url for url, _, _ in moves):
            guard = int((self._get(url_pk(url), OWNER_SK) or {}).get("guard", "0")) + 1
            first = self.url_claims(url).claims
            if first:
                values = {"source_key": first[0].source_key, "guard": str(guard)}
                self._put(url_pk(url), OWNER_SK, values)
            else:
                self._delete(url_pk(url), OWNER_SK)

    def url_owner(self, url: str) -> str | None:
        item = self._get(url_pk(url), OWNER_SK)
        return str(item["source_key"]) if item else None

    def url_claims(self, url: str) -> UrlClaims:
        rows = self._rows(url_pk(url))
        claims = [
            Claim(values["date_utc"], values["source_key"])
            for sk, values in rows
            if is_claim_sk(sk)
        ]
        owner = self._get(url_pk(url), OWNER_SK)
        return UrlClaims(url, tuple(sorted(claims)), str((owner or {}).get("guard", "")))

    def url_owners(self, urls: Iterable[str]) -> dict[str, str | None]:
        return {url: self.url_owner(url) for url in urls}

    def problems(self, commit: Commit) -> list[PostProblem]:
        """The DynamoDB adapter's own check, on the items it would write."""
        return layout_problems(commit)

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None:
        rows = self._rows(taxonomy_pk(kind))
        counts = term_counts((sk, v["count"]) for sk, v in rows if sk.startswith(f"{slug}#"))
        return counts[0] if counts else None

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        return term_counts((sk, v["count"]) for sk, v in self._rows(taxonomy_pk(kind)))

    @staticmethod
    def _entries(rows: Iterable[tuple[str, dict[str, Any]]]) -> list[Entry]:
        return [
            Entry(
                v["title"],
                v["url"],
                v["display_date"],
                v["excerpt"],
                v.get("name", ""),
                f"{sk}@{v.get('rev', '')}",
            )
            for sk, v in rows
        ]

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        return self._entries(self._rows(listing_pk(kind, slug), newest_first=True)[:limit])

    def between(
        self,
        kind: TaxonomyKind,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None = None,
    ) -> list[Entry]:
        rows = self._rows(listing_pk(kind, slug), newest_first=True)
        found = [(sk, v) for sk, v in rows if start_utc <= sk <= end_utc]
        return self._entries(found[:limit] if limit is not None else found)

    def versions(
        self,
        kind: TaxonomyKind | None,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None,
    ) -> list[str]:
        rows = self._rows(listing_pk(kind, slug), newest_first=True)
        found = [(sk, v) for sk, v in rows if start_utc <= sk <= end_utc]
        return [entry.version for entry in self._entries(found[:limit] if limit else found)]

    def located(self, start_utc: str, end_utc: str) -> list[Located]:
        rows = self._rows(listing_pk(None), newest_first=True)
        return [
            Located(
                v["url"],
                v["display_date"],
                located_terms(v.get("terms") or ()),
                f"{sk}@{v.get('rev', '')}",
            )
            for sk, v in rows
            if start_utc <= sk <= end_utc
        ]

    def periods(self, kind: TaxonomyKind | None, slug: str, month: str) -> dict[str, int]:
        row = self._get(months_pk(kind, slug), month)
        return period_counts(month, row) if row else {}

    def months(self, kind: TaxonomyKind | None, slug: str) -> list[tuple[str, int]]:
        return [(sk, v["count"]) for sk, v in self._rows(months_pk(kind, slug), newest_first=True)]

    def rejections(self) -> list[Rejection]:
        return [
            rows["ERROR"]["rejection"]
            for pk, rows in sorted(self.items.items())
            if pk.startswith("POST#") and "ERROR" in rows
        ]

    def records(self) -> list[PostRecord]:
        return [
            rows["META"]["record"]
            for pk, rows in sorted(self.items.items())
            if pk.startswith("POST#") and "META" in rows
        ]


class FolderSite:
    """A site written to a folder, one file per object key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: set[Path] = set()  # made already: one mkdir each

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        target = self.root / key
        if page is None:
            return target.is_file()
        return not target.is_file() or target.read_bytes() != page.body

    def put_page(self, key: str, page: RenderedPage) -> None:
        target = self.root / key
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        target.write_bytes(page.body)

    def delete_page(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)


@dataclass
class BuildReport:
    """What a full build produced."""

    published: list[PostRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    scheduled: list[PostRecord] = field(default_factory=list)
    waiting: list[PostRecord] = field(default_factory=list)  # their URL's owner came first
    pages: int = 0


# A source: a file's bytes, or the file itself, read by the worker that parses it.
Source = bytes | Path


@dataclass
class _Worker:
    """What each process of the render phase holds: the templates, the folder it writes post
    pages into, and the moment posts after which are scheduled."""

    renderer: SiteRenderer
    site: FolderSite
    now: datetime


_worker: _Worker | None = None


def _start_worker(templates_dir: str, out_dir: str, now: datetime) -> None:
    global _worker
    _worker = _Worker(SiteRenderer.from_directory(templates_dir), FolderSite(Path(out_dir)), now)


@dataclass(frozen=True)
class Rendered:
    """What the render phase made of one source: its post (without its body, whose page and
    links are made), record and internal links, and whether its page was written; or, with
    no post, the rejection's message and problems; or, with a post, the problems that keep
    it out of the table."""

    key: str
    post: Post | None = None
    record: PostRecord | None = None
    written: bool = False
    links: tuple[str, ...] = ()
    message: str = ""
    problems: tuple[PostProblem, ...] = ()


def _render_file(job: tuple[str, Source], worker: _Worker | None = None) -> Rendered:
    """Parse and check one source; write its page when it is live (a URL several posts claim
    is written again once they are ranked)."""
    key, source = job
    worker = worker or _worker
    assert worker is not None
    renderer = worker.renderer
    raw = source.read_bytes() if isinstance(source, Path) else source
    try:
        post = parse_post(key, raw, renderer.config, renderer.post_layouts)
    except InvalidPost as error:
        return Rendered(key, message=error.report(), problems=tuple(error.problems))
    record = post_record(post, "", None, renderer.config)
    if record.status == "published" and post.date > worker.now:
        record = replace(record, status="scheduled")
    slim = replace(post, body_html="")
    if limits := storage_problems(post, renderer, record):
        message = InvalidPost(key, limits).report()
        return Rendered(key, slim, record, message=message, problems=tuple(limits))
    if record.live:
        worker.site.put_page(key_for_url(post.url), render_post(post, renderer))
    return Rendered(key, slim, record, record.live, tuple(internal_links(post, renderer.urls)))


# What the write phase's forked workers inherit: (renderer, table, folder, index pages, post
# pages), each worker writing every `jobs`-th of them.
WriteState = tuple[
    SiteRenderer, MemoryRepository, Path, list[PageRef], list[tuple[str, RenderedPage]]
]
_write_state: WriteState | None = None


def _write_share(phase: str, share: int, shares: int) -> None:
    assert _write_state is not None
    renderer, repository, out_dir, refs, post_pages = _write_state
    site = FolderSite(out_dir)
    if phase == "posts":
        for key, page in post_pages[share::shares]:
            site.put_page(key, page)
    else:
        IndexBuilder(renderer, site, repository, verified=False).build(refs[share::shares])


def write_pages(
    renderer: SiteRenderer,
    repository: MemoryRepository,
    out_dir: Path,
    post_pages: dict[str, RenderedPage],
    jobs: int,
) -> None:
    """Write the post pages, then render every index page, into out_dir, each shared among
    `jobs` forked processes that inherit the finished table (one process where fork is
    missing). Nothing changes the table meanwhile, so a page is rendered once, not checked."""
    global _write_state
    refs = sorted(pages.every_page(repository, renderer.config))
    _write_state = (renderer, repository, out_dir, refs, sorted(post_pages.items()))
    try:
        if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
            _write_share("posts", 0, 1)
            _write_share("indexes", 0, 1)
            return
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            for phase in ("posts", "indexes"):
                list(pool.map(_write_share, [phase] * jobs, range(jobs), [jobs] * jobs))
    finally:
        _write_state = None


def source_files(src_dir: Path) -> Iterator[tuple[str, Path]]:
    """(source key, path) of every file of a posts folder, as it would be uploaded."""
    for path in sorted(src_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield "posts/" + path.relative_to(src_dir).as_posix(), path


def modified_time(path: Path) -> datetime:
    """A file's modification time as S3 would give it as LastModified: UTC, whole seconds."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)


def source_times(files: Iterable[tuple[str, Path]]) -> dict[str, datetime]:
    """{source key: modified_time} of (source key, path) pairs, such as source_files gives."""
    return {key: modified_time(path) for key, path in files}


_NEVER = datetime.min.replace(tzinfo=UTC)


def live_spelling(keys: Iterable[str], modified: Mapping[str, datetime]) -> str:
    """Of the spellings of one file name (keys that differ only in Unicode normalization), the
    one that is the post, as the pipeline chooses it: the one uploaded last (S3's
    LastModified, whole seconds; a key without a time counts as oldest), and within one
    second the NFC spelling, then the NFD one."""

    def rank(key: str) -> tuple[datetime, bool, bool]:
        identity = post_identity(key)
        nfd = unicodedata.normalize("NFD", identity)
        return modified.get(key, _NEVER), key == identity, key == nfd

    return max(sorted(keys), key=rank)


@dataclass(frozen=True)
class MergedSpellings:
    """The sources as the pipeline sees them: one post per file name, under its NFC spelling
    (events.post_identity), with the bytes of its live spelling (live_spelling); for each name
    found in several spellings, the problem naming them all that the pipeline adds to the
    post's warnings (or to its rejection's problems), and its other spellings, uploaded last
    first, which the post shows when the live one is invalid."""

    sources: list[tuple[str, Source]]
    notices: dict[str, PostProblem]
    others: dict[str, list[tuple[str, Source]]]
    live: dict[str, str]


def merged_spellings(
    sources: Iterable[tuple[str, Source]], modified: Mapping[str, datetime] | None = None
) -> MergedSpellings:
    """Merge the spellings of each file name (MergedSpellings)."""
    groups: dict[str, dict[str, Source]] = {}
    for key, raw in sources:
        groups.setdefault(post_identity(key), {})[key] = raw
    merged = MergedSpellings([], {}, {}, {})
    for identity, spelled in groups.items():
        live = live_spelling(spelled, modified or {})
        merged.sources.append((identity, spelled[live]))
        if len(spelled) > 1:
            merged.notices[identity] = PostProblem("file name", *spelling_notice(live, spelled))
            merged.live[identity] = live
            rest = {key: raw for key, raw in spelled.items() if key != live}
            order: list[str] = []
            while rest:
                order.append(live_spelling(rest, modified or {}))
                rest.pop(order[-1])
            merged.others[identity] = [(key, spelled[key]) for key in order]
    merged.sources.sort()
    return merged


@dataclass(frozen=True)
class CheckResult:
    """What `pressroom check` found in one file: its URL, or the problems that reject it."""

    path: str
    source_key: str
    url: str = ""
    published: bool = True
    problems: tuple[PostProblem, ...] = ()
    waiting_for: str = ""  # the source key of the file of the set that keeps this one's URL


def storage_problems(
    post: Post, renderer: SiteRenderer, record: PostRecord | None = None
) -> list[PostProblem]:
    """What the pipeline checks before its commit (records.limit_problems): the post's items
    in the table, as the DynamoDB adapter lays them out, and its report's key in S3."""
    record = record or post_record(post, "", None, renderer.config)
    problems = layout_problems(Commit(record, None, clear_rejection=False))
    return problems + report_key_problems(post.source_key)


def check_sources(
    sources: Iterable[tuple[str, str, bytes]],
    renderer: SiteRenderer,
    now: datetime | None = None,
    modified: Mapping[str, datetime] | None = None,
) -> list[CheckResult]:
    """Validate (path, source key, bytes) as the pipeline would, without AWS: every problem of
    every file, and files of this set claiming one URL: the rule of the pipeline gives it to
    the post dated earlier (ties: the smaller source key), and the others would wait. Of the
    spellings of one file name, the post is the one `modified` (source key: LastModified)
    dates last; without it, the one whose file was modified last (to the second)."""
    now = now or datetime.now(UTC)
    sources = list(sources)
    if modified is None:
        modified = {
            key: modified_time(Path(path)) for path, key, _ in sources if Path(path).is_file()
        }
    results: list[CheckResult] = []
    owners: dict[str, Claim] = {}
    for path, key, raw in sources:
        try:
            post = parse_post(key, raw, renderer.config, renderer.post_layouts)
        except InvalidPost as error:
            results.append(CheckResult(path, key, problems=tuple(error.problems)))
            continue
        limits = storage_problems(post, renderer)
        if limits:
            results.append(CheckResult(path, key, post.url, problems=tuple(limits)))
            continue
        if post.published and post.date <= now:
            claim = Claim(utc_text(post.date), key)
            owners[post.url] = min(owners.get(post.url, claim), claim)
        results.append(CheckResult(path, key, post.url, post.published))
    claimed = [
        replace(result, waiting_for=owners[result.url].source_key)
        if result.published
        and not result.problems
        and result.url in owners
        and owners[result.url].source_key != result.source_key
        else result
        for result in results
    ]
    return _spellings_checked(claimed, modified)


def _spellings_checked(
    results: list[CheckResult], modified: Mapping[str, datetime]
) -> list[CheckResult]:
    """Files of the set whose names differ only in Unicode normalization (NFC, NFD) are one
    post to the pipeline, which publishes the spelling uploaded last (live_spelling): each
    other spelling is reported, in the pipeline's words, naming both, and does not conflict
    with its twin."""
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(post_identity(result.source_key), []).append(result)
    checked = []
    for result in results:
        group = groups[post_identity(result.source_key)]
        keys = {twin.source_key for twin in group}
        if len(keys) < 2:
            checked.append(result)
            continue
        last = live_spelling(keys, modified)
        paths = {twin.path for twin in group}
        problems = tuple(  # a spelling does not conflict with its own twin
            problem
            for problem in result.problems
            if not (problem.field == "url" and any(path in problem.message for path in paths))
        )
        result = replace(result, problems=problems)
        if result.waiting_for in keys:
            result = replace(result, waiting_for="")
        if result.source_key != last:
            notice = PostProblem("file name", *spelling_notice(last, keys))
            result = replace(result, problems=(*result.problems, notice))
        checked.append(result)
    return checked


def build_site(
    sources: Iterable[tuple[str, Source]],
    templates_dir: Path,
    out_dir: Path,
    jobs: int = 0,
    now: datetime | None = None,
    modified: Mapping[str, datetime] | None = None,
) -> BuildReport:
    """Render every source and every index page into out_dir. Where files claim one URL, the
    one dated earlier keeps it (ties: the smaller source key) and the others wait, as in the
    pipeline; posts dated after `now` are left out. A file name in several Unicode spellings
    is one post under its NFC spelling, from the spelling `modified` (source key: S3's
    LastModified, or a file's modified_time) dates last (merged_spellings)."""
    now = now or datetime.now(UTC)
    renderer = SiteRenderer.from_directory(templates_dir)
    check_commit_fits(renderer.config.limits.max_categories, renderer.config.limits.max_tags)
    repository = MemoryRepository()
    report = BuildReport()
    jobs = jobs or os.cpu_count() or 1
    merged = merged_spellings(sources, modified)
    work, notices = merged.sources, merged.notices
    out_dir.mkdir(parents=True, exist_ok=True)
    start = (str(templates_dir), str(out_dir), now)
    if jobs > 1 and len(work) > 1:
        chunk = max(1, len(work) // (jobs * 4))
        with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=start) as pool:
            results = list(pool.map(_render_file, work, chunksize=chunk))
    else:
        _start_worker(*start)
        results = [_render_file(job) for job in work]
    parent = _Worker(renderer, FolderSite(out_dir), now)
    sources_of: dict[str, Source] = dict(work)  # the bytes each post was made from
    post_pages: dict[str, RenderedPage] = {}
    shown: list[Rendered] = []
    valid: list[Rendered] = []
    for result in results:
        key = result.key
        if result.post is None:
            problems = list(result.problems)
            message = result.message
            if key in notices:  # the pipeline's rejection names the spellings too
                problems = [*problems, notices[key]]
                message = InvalidPost(key, problems).report()
            repository.reject(Rejection(key, "", None, message, tuple(problems)))
            # The post shows its other spelling uploaded last that is valid, as the pipeline
            # does, and its rejection stays.
            for spelling, raw in merged.others.get(key, []):
                result = _render_file((key, raw), parent)
                if result.post is not None:
                    keys = [merged.live[key], *(other for other, _ in merged.others[key])]
                    shown_as = spelling_notice(merged.live[key], keys, spelling)
                    notices[key] = PostProblem("file name", *shown_as)
                    sources_of[key] = raw
                    break
            if result.post is None:
                continue
        if result.problems:  # what the table cannot hold
            repository.reject(Rejection(key, "", None, result.message, result.problems))
            continue
        valid.append(result)
    # Every claim first, so that each post is ranked among all the others on its URL.
    claims: dict[str, list[Claim]] = {}
    for result in valid:
        assert result.record is not None
        if result.record.claim is not None:
            claims.setdefault(result.record.url, []).append(result.record.claim)
    for result in valid:
        assert result.post is not None and result.record is not None
        contested = claims.get(result.record.url, [])
        record = ranked(result.record, UrlClaims(result.record.url, tuple(sorted(contested))))
        repository.commit(Commit(record, None, clear_rejection=False))
        if record.status == "waiting":
            report.waiting.append(record)
        if record.live:
            if len(contested) > 1:  # its page may have been written by a post that waits
                raw = sources_of[result.key]
                post = parse_post(
                    result.key,
                    raw.read_bytes() if isinstance(raw, Path) else raw,
                    renderer.config,
                    renderer.post_layouts,
                )
                post_pages[key_for_url(post.url)] = render_post(post, renderer)
            shown.append(result)  # its links are checked once every post is in the table
        elif record.status == "scheduled":
            report.scheduled.append(record)
    for result in shown:
        assert result.post is not None
        warnings = broken_links(result.post, renderer.urls, repository, list(result.links))
        if result.key in notices:  # first, as in the pipeline's record
            warnings = [str(notices[result.key]), *warnings]
        if warnings:
            report.warnings[result.key] = warnings
    write_pages(renderer, repository, out_dir, post_pages, jobs if len(shown) > 1 else 1)
    report.published = [record for record in repository.records() if record.live]
    report.rejected = repository.rejections()
    report.pages = sum(1 for path in out_dir.rglob("*") if path.is_file())
    return report
