"""The `pressroom` command: `demo` runs the real pipeline on moto and shows the result.

Every command finds its site (the folder holding template.yaml and templates/site.yaml) through
`find_project`, and every failure ends as one sentence on stderr with one of the exit codes
below (README, "Commands and exit codes"); no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import errno
import functools
import http.server
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pressroom.urls import key_for_url

if TYPE_CHECKING:
    from pressroom.render import SiteRenderer

# Exit codes, one meaning each (README, "Commands and exit codes").
EXIT_OK = 0
EXIT_PROBLEMS = 1  # the command ran and found problems (a rejected post, not idle in time)
EXIT_USAGE = 2  # bad arguments, a missing or wrong path, not a site folder, a broken site.yaml
EXIT_UNREACHABLE = 3  # the AWS endpoint, stack, credentials or site server cannot be used
EXIT_NOT_FOUND = 4  # the object the command names does not exist (unpublish of an unknown key)
EXIT_INTERNAL = 70  # a bug: an error nobody anticipated (PRESSROOM_DEBUG=1 shows where)
EXIT_INTERRUPTED = 130  # Ctrl-C

PROJECT_ENV = "PRESSROOM_PROJECT"
DEBUG_ENV = "PRESSROOM_DEBUG"
NO_SITE_HINT = "run inside a site's folder, pass --project DIR, or set PRESSROOM_PROJECT"


class CommandFailed(Exception):
    """A failure the command explains itself: one sentence for stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def client_config(read_timeout: int = 10, attempts: int = 2) -> Any:
    """Short timeouts and few retries: a dead endpoint is reported in seconds, not minutes."""
    from botocore.config import Config

    return Config(
        connect_timeout=2,
        read_timeout=read_timeout,
        retries={"max_attempts": attempts, "mode": "standard"},
    )


def address_problem(error: OSError, host: str, port: int, option: str) -> str:
    """Why a server cannot listen on host:port, and what to pass instead."""
    if error.errno == errno.EADDRINUSE:
        return f"{host}:{port} is already in use: stop what listens there, or pass another {option}"
    if error.errno == errno.EACCES:
        return (
            f"{host}:{port}: permission denied (ports below 1024 need root): pass another {option}"
        )
    return f"cannot listen on {host}:{port} ({error.strerror or error}): check --host and {option}"


def ensure_free(host: str, port: int, option: str) -> None:
    """Fail before anything starts if a server could not listen on host:port (moto's server
    thread would otherwise die with a traceback and leave `serve` waiting for it)."""
    import socket

    if port == 0:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise CommandFailed(f"--host {host} is not an address of this machine") from error
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(address)
        except OSError as error:
            raise CommandFailed(address_problem(error, host, port, option)) from error


def is_site(folder: Path) -> bool:
    return (folder / "template.yaml").is_file() and (folder / "templates" / "site.yaml").is_file()


def find_project(
    option: Path | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path:
    """The site folder: `--project`, else $PRESSROOM_PROJECT, else the current folder or its
    nearest parent holding template.yaml and templates/site.yaml."""
    environ = os.environ if environ is None else environ
    named = [(f"--project {option}", option)] if option is not None else []
    if not named and environ.get(PROJECT_ENV):
        named = [(f"{PROJECT_ENV}={environ[PROJECT_ENV]}", Path(environ[PROJECT_ENV]))]
    for origin, folder in named:
        resolved = (cwd or Path.cwd()) / folder.expanduser()
        if not resolved.is_dir():
            raise CommandFailed(f"{origin}: no such folder: name a site's folder")
        if not is_site(resolved):
            raise CommandFailed(
                f"{origin} is not a pressroom site: a site's folder holds template.yaml and "
                "templates/site.yaml"
            )
        return resolved.resolve()
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if is_site(folder):
            return folder
    raise CommandFailed(f"no pressroom site in {start} or its parents: {NO_SITE_HINT}")


def load_renderer(project: Path) -> SiteRenderer:
    """The site's renderer; a broken site.yaml or layout is named, not a traceback."""
    import yaml
    from jinja2 import TemplateError
    from pydantic import ValidationError

    from pressroom.render import SiteRenderer

    site_yaml = project / "templates" / "site.yaml"
    fix = "fix it, or pass --project for another site"
    try:
        return SiteRenderer.from_directory(project / "templates")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise CommandFailed(
            f"{site_yaml} is not a valid site configuration: {where}: {first['msg']}{more}: {fix}"
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CommandFailed(f"{site_yaml} is not valid YAML{line}: {fix}") from error
    except UnicodeDecodeError as error:
        raise CommandFailed(f"{site_yaml} is not UTF-8 text: save it as UTF-8") from error
    except TemplateError as error:
        raise CommandFailed(
            f"a layout in {project / 'templates' / 'layouts'} is broken: {error}: {fix}"
        ) from error


def load_stack_template(project: Path) -> None:
    """Read template.yaml once up front, so a broken one is named before anything starts."""
    import yaml

    from pressroom_dev.stack import load_template

    path = project / "template.yaml"
    try:
        load_template(path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CommandFailed(f"{path} is not valid YAML{line}: fix it") from error
    except UnicodeDecodeError as error:
        raise CommandFailed(f"{path} is not UTF-8 text: save it as UTF-8") from error
    except ValueError as error:
        raise CommandFailed(f"{error}: it needs a Resources section") from error


def site_of(args: argparse.Namespace, stack: bool = False) -> Path:
    """Resolve the site for a command and check what it will read (site.yaml, template.yaml)."""
    project = find_project(args.project)
    load_renderer(project)
    if stack:
        load_stack_template(project)
    args.project = project
    return project


LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "pressroom",
    "POWERTOOLS_METRICS_NAMESPACE": "Pressroom",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass
class Summary:
    """What a run of the pipeline produced."""

    uploaded: int = 0
    published: list[dict[str, Any]] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    broken_links: list[dict[str, str]] = field(default_factory=list)
    out: str = ""

    def text(self) -> str:
        lines = [
            f"uploaded {self.uploaded} files; published {len(self.published)} posts; "
            f"rejected {len(self.rejected)}; {self.pages} pages in the site bucket",
        ]
        for item in self.rejected:
            lines.append(f"  rejected {item['source_key']}:")
            lines.extend(f"    - {problem}" for problem in item["problems"])
        warned = [item for item in self.published if item["warnings"]]
        if warned:
            lines.append(f"{len(warned)} published posts have warnings:")
            for item in warned:
                lines.append(f"  {item['source_key']}:")
                lines.extend(f"    - {warning}" for warning in item["warnings"])
        lines.append(
            "generated links: all resolve"
            if not self.broken_links
            else f"generated links: {len(self.broken_links)} BROKEN"
        )
        lines.extend(f"  {link['page']} -> {link['link']}" for link in self.broken_links)
        lines.append(f"site written to {self.out}/ (open {self.out}/index.html)")
        return "\n".join(lines)


def run_demo(project_dir: Path, posts_dir: Path, out_dir: Path) -> Summary:
    """Create the template's resources in moto, upload posts, drain the pipeline, download."""
    # read first: an unreadable file stops the demo before anything has started
    files = [
        ("posts/" + path.relative_to(posts_dir).as_posix(), path.read_bytes())
        for path in sorted(p for p in posts_dir.rglob("*") if p.is_file())
    ]
    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    import boto3
    from moto import mock_aws

    from pressroom.adapters.dynamodb import DynamoPostRepository
    from pressroom.composition import pipeline_from_settings
    from pressroom_dev.stack import REGION, LocalStack

    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        stack = LocalStack(project_dir, session).create()
        settings = stack.settings()
        pipeline = pipeline_from_settings(settings, session)
        summary = Summary(out=str(out_dir))
        s3 = session.client("s3")
        for key, body in files:
            s3.put_object(Bucket=settings.source_bucket, Key=key, Body=body)
            summary.uploaded += 1
        stack.drain(lambda function, event: stack.invoke(function, event, pipeline=pipeline))
        repository = DynamoPostRepository(settings.posts_table, session.client("dynamodb"))
        for record in sorted(repository.records(), key=lambda r: r.source_key):
            if record.live:
                summary.published.append(
                    {
                        "source_key": record.source_key,
                        "url": record.url,
                        "warnings": list(record.warnings),
                    }
                )
            elif record.status == "unpublished":
                summary.unpublished.append(record.source_key)
        for rejection in sorted(repository.rejections(), key=lambda r: r.source_key):
            summary.rejected.append(
                {
                    "source_key": rejection.source_key,
                    "problems": [str(problem) for problem in rejection.problems],
                }
            )
        summary.pages = download_bucket(s3, settings.site_bucket, out_dir)
    summary.broken_links = [
        {"page": page, "link": link} for page, link in broken_generated_links(out_dir)
    ]
    return summary


def download_bucket(s3: Any, bucket: str, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            target = out_dir / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            count += 1
    return count


class _Anchors(HTMLParser):
    """Links of a page outside its post body (the ones pressroom generates)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._depth = 0
        self._body_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("div", "section", "article", "main"):
            self._depth += 1
            if "post-body" in (values.get("class") or "").split() and self._body_depth is None:
                self._body_depth = self._depth
        if tag in ("a", "link") and self._body_depth is None and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "section", "article", "main"):
            if self._body_depth == self._depth:
                self._body_depth = None
            self._depth -= 1


def broken_generated_links(site_dir: Path) -> Iterator[tuple[str, str]]:
    """(page, link) for every generated root-relative link whose target file is missing."""
    for page in sorted(site_dir.rglob("*.html")):
        parser = _Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if not (site_dir / key_for_url(unquote(parts.path))).is_file():
                yield page.relative_to(site_dir).as_posix(), link


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a downloaded site as CloudFront would: index.html for /, 404.html for misses."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.is_file():
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def serve_directory(directory: Path, host: str, port: int) -> None:
    handler = functools.partial(SiteRequestHandler, directory=str(directory))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise CommandFailed(address_problem(error, host, port, "--port")) from error
    with server:
        print(f"serving {directory}/ on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped")


@dataclass(frozen=True)
class Target:
    """Where `publish`, `unpublish` and `redrive` act: the local stack or a deployed one."""

    s3: Any
    sqs: Any
    source_bucket: str
    ingest_queue_url: str
    dead_letter_queue_url: str
    site_url: str
    indexes_dead_letter_queue_url: str = ""
    where: str = ""  # "at http://127.0.0.1:5000" or "of the stack NAME", for messages


def stack_outputs(session: Any, name: str) -> dict[str, str]:
    """A deployed stack's outputs; an unknown stack is a clear error."""
    from botocore.exceptions import ClientError

    try:
        cloudformation = session.client("cloudformation", config=client_config())
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
        region = session.region_name or "the default region"
        raise CommandFailed(
            f"no CloudFormation stack named {name} in {region}: check --stack, "
            "AWS_PROFILE and AWS_DEFAULT_REGION",
            EXIT_UNREACHABLE,
        ) from error
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def output(outputs: dict[str, str], name: str, stack: str) -> str:
    if name not in outputs:
        raise CommandFailed(
            f"the stack {stack} has no output {name}: is it a pressroom stack?", EXIT_UNREACHABLE
        )
    return outputs[name]


def resolve_target(args: argparse.Namespace) -> Target:
    import boto3

    from pressroom_dev.stack import local_name

    if args.stack:
        session = boto3.session.Session()
        outputs = stack_outputs(session, args.stack)
        return Target(
            session.client("s3", config=client_config()),
            session.client("sqs", config=client_config()),
            output(outputs, "SourceBucketName", args.stack),
            output(outputs, "IngestQueueUrl", args.stack),
            output(outputs, "DeadLetterQueueUrl", args.stack),
            output(outputs, "SiteUrl", args.stack).rstrip("/"),
            outputs.get("IndexesDeadLetterQueueUrl", ""),
            f"of the stack {args.stack}",
        )
    for name, value in LOCAL_ENVIRONMENT.items():
        if name.startswith("AWS_"):
            os.environ.setdefault(name, value)
    session = boto3.session.Session(region_name=os.environ["AWS_DEFAULT_REGION"])
    parts = urlsplit(args.endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandFailed(
            f"--endpoint-url {args.endpoint_url} is not a URL like http://127.0.0.1:5000"
        )
    sqs = session.client("sqs", endpoint_url=args.endpoint_url, config=client_config())

    def queue_url(logical_id: str) -> str:
        return str(sqs.get_queue_url(QueueName=local_name("pressroom", logical_id))["QueueUrl"])

    return Target(
        session.client("s3", endpoint_url=args.endpoint_url, config=client_config()),
        sqs,
        local_name("pressroom", "SourceBucket"),
        queue_url("IngestQueue") if args.command == "redrive" else "",
        queue_url("IngestDeadLetterQueue") if args.command == "redrive" else "",
        args.site_url.rstrip("/"),
        queue_url("IndexesDeadLetterQueue") if args.command == "redrive" else "",
        where=f"at {args.endpoint_url}",
    )


def check_source_bucket(target: Target) -> None:
    """The source bucket must be there: a stack that is not running is not a missing post."""
    from botocore.exceptions import ClientError

    try:
        target.s3.head_bucket(Bucket=target.source_bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
        raise CommandFailed(
            f"there is no source bucket {target.source_bucket} {target.where}: start "
            "`pressroom serve`, or pass the right --endpoint-url or --stack",
            EXIT_UNREACHABLE,
        ) from error


def source_key(name: str) -> str:
    """`posts/x.md`, `x.md` and `some/dir/x.md` (a local path) all name `posts/x.md`."""
    return name if name.startswith("posts/") else "posts/" + Path(name).name


def read_sources(names: Sequence[str]) -> list[tuple[str, str, bytes]]:
    """(path, source key, bytes) of each named file and of every file in each named folder,
    all read before anything is done with them: a missing or unreadable path stops the command
    before it has changed anything."""
    from pressroom_dev.folder import source_files

    sources: list[tuple[str, str, bytes]] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            sources += [(str(file), key, file.read_bytes()) for key, file in source_files(path)]
        elif path.is_file():
            sources.append((name, source_key(name), path.read_bytes()))
        elif path.exists():
            raise CommandFailed(
                f"{name} is not a regular file or a folder (a pipe, socket or device)"
            )
        else:
            raise CommandFailed(f"{name}: no such file or folder")
    return sources


def publish_files(args: argparse.Namespace) -> int:
    """Upload files with --jobs threads, report every file that will be rejected or failed to
    upload, then a summary; exit 1 if any will be rejected or failed, 3 if the run stopped."""
    import time
    from datetime import UTC, datetime

    from pressroom.content import parse_post
    from pressroom.errors import InvalidPost
    from pressroom.urls import href
    from pressroom_dev.upload import (
        MANY_FILES,
        Progress,
        PublishedFile,
        Uploaded,
        size_text,
        stops_the_run,
        upload_all,
        upload_problem,
    )

    if args.jobs < 1:
        raise CommandFailed(f"--jobs {args.jobs}: pass 1 or more uploads at once")
    renderer = load_renderer(args.project)
    sources = read_sources(args.files)
    if not sources:
        raise CommandFailed(f"nothing to publish: {', '.join(args.files)} holds no files")
    paths_of: dict[str, str] = {}
    for path, key, _ in sources:
        if paths_of.setdefault(key, path) != path:
            raise CommandFailed(
                f"{paths_of[key]} and {path} would both be uploaded as {key}: publish one of them"
            )
    target = resolve_target(args)
    now = datetime.now(UTC)
    reports: dict[str, PublishedFile] = {}
    progress = Progress(sys.stderr, len(sources))

    def uploaded(outcome: Uploaded) -> None:
        if outcome.ok:
            reports[outcome.key] = checked(outcome.key, raws[outcome.key])
        progress.advance()

    def checked(key: str, raw: bytes) -> PublishedFile:
        try:
            post = parse_post(key, raw, renderer.config, renderer.post_layouts)
        except InvalidPost as error:
            return PublishedFile(problems=tuple(str(problem) for problem in error.problems))
        if not post.published:
            return PublishedFile("(published: false)", unpublished=True)
        where = f"{target.site_url}{href(post.url)}"
        if post.date > now:
            return PublishedFile(f"{where} (dated in the future: online then)", future=True)
        return PublishedFile(where)

    raws = {key: raw for _, key, raw in sources}
    started = time.perf_counter()
    try:
        outcomes = upload_all(
            target.s3,
            target.source_bucket,
            [(key, raw) for _, key, raw in sources],
            args.jobs,
            uploaded,
        )
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    done = [outcome for outcome in outcomes if outcome.ok]
    failed = [outcome for outcome in outcomes if outcome.sent and outcome.error is not None]
    unsent = [outcome for outcome in outcomes if not outcome.sent]
    stopping = next((o.error for o in failed if o.error and stops_the_run(o.error)), None)
    if stopping is not None and not done:
        raise stopping  # nothing reached the bucket: one sentence, as for any command
    quiet = len(sources) > MANY_FILES and not args.verbose
    for outcome in sorted(outcomes, key=lambda o: o.key):
        if outcome.error is not None:
            print(f"{outcome.key}: not uploaded: {upload_problem(outcome.error)}")
            continue
        report = reports.get(outcome.key)
        if report is None:
            continue
        if report.problems:
            print(f"{outcome.key}: uploaded, but it will be rejected:")
            print("\n".join(f"  - {problem}" for problem in report.problems))
        elif not quiet:
            print(f"{outcome.key} -> {report.where}")
    rejected = sum(1 for report in reports.values() if report.problems)
    size = sum(outcome.size for outcome in done)
    rate = len(done) / elapsed if elapsed > 0 else 0.0
    lines = [
        f"uploaded {len(done)} of {len(sources)} files ({size_text(size)}) in {elapsed:.1f} s, "
        f"{rate:.0f} files/s, to {target.source_bucket} {target.where}",
        f"{rejected} will be rejected"
        + (" (listed above)" if rejected else "")
        + f"; {sum(r.unpublished for r in reports.values())} with published: false"
        + f"; {sum(r.future for r in reports.values())} dated in the future "
        "(online by themselves when their date comes)",
    ]
    if quiet:
        lines.append(
            f"over {MANY_FILES:,} files: only the files with problems are listed "
            "(--verbose lists every file and its URL)"
        )
    if failed:
        lines.append(f"{len(failed)} failed to upload (listed above): publish them again")
    if stopping is not None:
        lines.append(f"stopped: {explain(stopping, args)[1]}; {len(unsent)} files were not sent")
    lines.append(
        f"the site: {target.site_url}/ (`pressroom status --wait` waits until all are processed)"
    )
    print("\n".join(lines), flush=True)
    if stopping is not None:
        return EXIT_UNREACHABLE
    return EXIT_PROBLEMS if rejected or failed else EXIT_OK


def check_files(args: argparse.Namespace) -> int:
    """Validate local files as the pipeline would; non-zero exit when any would be rejected."""
    from pressroom.urls import href
    from pressroom_dev.folder import check_sources

    renderer = load_renderer(args.project)
    results = check_sources(read_sources(args.paths), renderer)
    failed = [result for result in results if result.problems]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "path": r.path,
                        "source_key": r.source_key,
                        "url": r.url,
                        "published": r.published,
                        "problems": [problem.as_dict() for problem in r.problems],
                        "waiting_for": r.waiting_for,
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 1 if failed else 0
    for result in results:
        if result.problems:
            print(f"{result.path}: will be rejected")
            print("\n".join(f"  - {problem}" for problem in result.problems))
        elif result.waiting_for:
            print(
                f"{result.path}: will wait: {result.url} is the page of {result.waiting_for} "
                "(dated earlier, or the same and sorting first); it is published by itself "
                "when that post leaves the URL"
            )
        elif not args.quiet:
            where = href(result.url) if result.published else "(published: false)"
            print(f"{result.path}: ok -> {where}")
    print(f"checked {len(results)} files: {len(results) - len(failed)} ok, {len(failed)} rejected")
    return 1 if failed else 0


def exists(target: Target, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        target.s3.head_object(Bucket=target.source_bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def unpublish_keys(args: argparse.Namespace) -> int:
    """Delete posts; every key is checked first, and if one is not there nothing is deleted
    (a mistyped takedown must not look done)."""
    target = resolve_target(args)
    check_source_bucket(target)
    keys = list(dict.fromkeys(source_key(name) for name in args.keys))
    missing = [key for key in keys if not exists(target, key)]
    if missing:
        raise CommandFailed(
            f"{', '.join(missing)}: not in the source bucket {target.source_bucket} "
            f"{target.where}, so nothing was deleted: check the name "
            "(`pressroom status` lists what is published)",
            EXIT_NOT_FOUND,
        )
    for key in keys:
        target.s3.delete_object(Bucket=target.source_bucket, Key=key)
        print(f"{key}: deleted; its pages will be taken down")
    return 0


def redrive(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    moved = 0
    while True:
        messages = target.sqs.receive_message(
            QueueUrl=target.dead_letter_queue_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            target.sqs.send_message(QueueUrl=target.ingest_queue_url, MessageBody=message["Body"])
            target.sqs.delete_message(
                QueueUrl=target.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            moved += 1
    print(f"moved {moved} messages from the dead-letter queue back to the ingest queue")
    if target.indexes_dead_letter_queue_url:
        batches, pages = repair_failed_index_batches(
            target.sqs,
            target.indexes_dead_letter_queue_url,
            functools.partial(repair_stale_pages, args),
        )
        print(
            f"rebuilt {pages} pages that {batches} failed index batches left stale, "
            "and deleted their messages from the indexes' on-failure queue"
            if batches
            else "no failed index batch in the indexes' on-failure queue"
        )
    return 0


# How long the on-failure messages stay hidden while their pages are rebuilt (SQS's largest
# visibility timeout is 12 hours): deleting them afterwards uses the receipt handles it gave.
REPAIR_VISIBILITY_SECONDS = 900


def repair_failed_index_batches(
    sqs: Any, queue_url: str, repair: Callable[[], int]
) -> tuple[int, int]:
    """The indexes' on-failure queue holds only stream positions, which outlive the stream's
    24 hours of records; the pages a failed batch left stale are in the table instead. Take
    every message, rebuild every page still recorded as stale (once, for all of them), then
    delete the messages taken: (batches, pages rebuilt). Messages that arrive meanwhile stay
    for the next redrive, and their pages for the daily reconcile."""
    taken: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=REPAIR_VISIBILITY_SECONDS,
        ).get("Messages", [])
        if not messages:
            break
        taken += [message["ReceiptHandle"] for message in messages]
    if not taken:
        return 0, 0
    pages = repair()
    for handle in taken:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
    return len(taken), pages


def repair_stale_pages(args: argparse.Namespace) -> int:
    """Rebuild the pages recorded as stale: by invoking a deployed stack's Rebuild function
    (`{"mode": "stale"}`), or in-process against the local stack; the number of pages."""
    import boto3

    if args.stack:
        session = boto3.session.Session()
        outputs = stack_outputs(session, args.stack)
        function = session.client("lambda", config=client_config(read_timeout=900, attempts=1))
        response = function.invoke(
            FunctionName=output(outputs, "RebuildFunctionName", args.stack),
            Payload=json.dumps({"mode": "stale"}).encode(),
        )
        payload = response["Payload"].read().decode()
        if response.get("FunctionError"):
            raise CommandFailed(
                f"the stack's Rebuild function failed to rebuild the stale pages: {payload}",
                EXIT_PROBLEMS,
            )
        return int(json.loads(payload).get("stale_pages", 0))
    from pressroom.composition import pipeline_from_settings
    from pressroom_dev.stack import REGION, LocalStack

    project = site_of(args, stack=True)
    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    session = boto3.session.Session(region_name=REGION)
    local = LocalStack(project, session, endpoint_url=args.endpoint_url)
    return pipeline_from_settings(local.settings(), session).rebuilder().repair_stale()


def fetch_status(site_url: str) -> dict[str, Any]:
    import urllib.request

    from pressroom_dev.serve import STATUS_PATH

    with urllib.request.urlopen(site_url.rstrip("/") + STATUS_PATH, timeout=10) as response:
        return dict(json.loads(response.read().decode("utf-8")))


def status_text(status: dict[str, Any]) -> str:
    queue, stream = status["queue"], status["stream"]
    lines = [
        f"{'idle' if status['idle'] else 'busy'}: queue {queue['waiting']} waiting, "
        f"{queue['in_flight']} in flight, {queue['dead_letters']} in the dead-letter queue; "
        f"stream lag {stream['lag']}"
        + (f"; {status['published']} posts published" if "published" in status else ""),
    ]
    failed = status.get("failed_invocations") or {}
    if failed or queue.get("failed_index_batches"):
        lines.append(
            "failed invocations: "
            + (", ".join(f"{name} {count}" for name, count in sorted(failed.items())) or "none")
            + f"; index batches given up: {queue.get('failed_index_batches', 0)}"
        )
    for item in status.get("rejected", []):
        lines.append(f"rejected {item['source_key']}:")
        lines.extend(f"  - {problem}" for problem in item["problems"])
        if item.get("report"):
            lines.append(f"  report: {item['report']}")
    for item in status.get("waiting", []):
        lines.append(
            f"waiting {item['source_key']}: {item['url']} is the page of {item['owner']}, "
            "dated earlier; published by itself when that post leaves the URL"
        )
    return "\n".join(lines)


def deployed_status(target: Target) -> dict[str, Any]:
    """`status` of a deployed stack: its queues, and every rejection report in the source
    bucket (the stream's lag is not observable from outside, so it reads "n/a")."""
    from pressroom.adapters.s3 import REPORTS_PREFIX
    from pressroom.model import PostProblem

    def depth(url: str) -> tuple[int, int]:
        if not url:
            return 0, 0
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        values = target.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        return tuple(int(values["Attributes"].get(name, 0)) for name in names)  # type: ignore[return-value]

    waiting, in_flight = depth(target.ingest_queue_url)
    rejected = []
    waiting_posts = []
    pages = target.s3.get_paginator("list_objects_v2").paginate(
        Bucket=target.source_bucket, Prefix=REPORTS_PREFIX
    )
    for item in (item for page in pages for item in page.get("Contents", [])):
        body = target.s3.get_object(Bucket=target.source_bucket, Key=item["Key"])["Body"]
        try:
            report = json.loads(body.read())
            problems = [str(PostProblem.from_dict(p)) for p in report["problems"]]
            source_key, message = str(report["source_key"]), str(report["summary"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a report pressroom wrote
        if report.get("status") == "waiting":  # a note: the post waits for its URL
            waiting_posts.append(
                {
                    "source_key": source_key,
                    "url": str(report.get("url", "")),
                    "owner": str(report.get("owner", "")),
                    "report": f"s3://{target.source_bucket}/{item['Key']}",
                }
            )
            continue
        rejected.append(
            {
                "source_key": source_key,
                "message": message,
                "problems": problems,
                "report": f"s3://{target.source_bucket}/{item['Key']}",
            }
        )
    return {
        "idle": waiting == 0 and in_flight == 0,
        "queue": {
            "waiting": waiting,
            "in_flight": in_flight,
            "dead_letters": depth(target.dead_letter_queue_url)[0],
            "failed_index_batches": depth(target.indexes_dead_letter_queue_url)[0],
        },
        "stream": {"lag": "n/a"},
        "rejected": sorted(rejected, key=lambda r: r["source_key"]),
        "waiting": sorted(waiting_posts, key=lambda r: r["source_key"]),
    }


def show_status(args: argparse.Namespace) -> int:
    import time
    import urllib.error

    parts = urlsplit(args.site_url)
    if not args.stack and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise CommandFailed(f"--site-url {args.site_url} is not a URL like http://127.0.0.1:8000")
    deadline = time.monotonic() + args.timeout
    target = resolve_target(args) if args.stack else None
    while True:
        try:
            status = deployed_status(target) if target else fetch_status(args.site_url)
        except urllib.error.HTTPError as error:
            raise CommandFailed(
                f"{args.site_url} answered {error.code} for the status page: it is not "
                "`pressroom serve`; pass its --site-url",
                EXIT_UNREACHABLE,
            ) from error
        except (urllib.error.URLError, OSError) as error:
            if not args.wait or time.monotonic() > deadline:
                reason = getattr(error, "reason", None) or error
                raise CommandFailed(
                    f"pressroom serve is not answering on {args.site_url} ({reason}): "
                    "start it with `pressroom serve`, or pass its --site-url",
                    EXIT_UNREACHABLE,
                ) from error
            time.sleep(0.5)
            continue
        except (ValueError, KeyError) as error:
            raise CommandFailed(
                f"{args.site_url} did not answer a pressroom status report: it is not "
                "`pressroom serve`; pass its --site-url",
                EXIT_UNREACHABLE,
            ) from error
        if not args.wait or status["idle"] or time.monotonic() > deadline:
            break
        time.sleep(0.2 if target is None else 5)
    print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else status_text(status))
    return 0 if status["idle"] or not args.wait else 1


def rebuild_command(args: argparse.Namespace) -> int:
    """Reconcile, then re-render every page as a job of messages on the rebuild queue, and wait
    until its last part is done: the Rebuild function of a deployed stack, or in this process
    against the local stack (whose `pressroom serve` delivers the job's messages)."""
    import boto3

    from pressroom.adapters.fanout import DynamoRebuildJobs

    mode = "reconcile" if args.reconcile_only else "rebuild"
    if args.stack:
        session = boto3.session.Session()
        outputs = stack_outputs(session, args.stack)
        # one attempt, and long enough to wait for the reconcile: a retry would run it twice
        function = session.client("lambda", config=client_config(read_timeout=900, attempts=1))
        response = function.invoke(
            FunctionName=output(outputs, "RebuildFunctionName", args.stack),
            Payload=json.dumps({"mode": mode, "workers": args.workers}).encode(),
        )
        payload = response["Payload"].read().decode()
        print(payload)
        if response.get("FunctionError"):
            return 1
        table = output(outputs, "PostsTableName", args.stack)
        jobs = DynamoRebuildJobs(table, session.client("dynamodb", config=client_config()))
        job = json.loads(payload).get("rebuild")
        return wait_for_rebuild(jobs, str(job), poll=5.0) if job else 0
    from uuid import uuid4

    from pressroom.composition import pipeline_from_settings
    from pressroom_dev.stack import REGION, LocalStack, local_name

    project = site_of(args, stack=True)
    target = resolve_target(args)
    check_source_bucket(target)  # a dead endpoint fails here, fast
    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    session = boto3.session.Session(region_name=REGION)
    local = LocalStack(project, session, endpoint_url=args.endpoint_url)
    queue = target.sqs.get_queue_url(QueueName=local_name("pressroom", "RebuildQueue"))
    settings = local.settings().model_copy(update={"rebuild_queue_url": queue["QueueUrl"]})
    pipeline = pipeline_from_settings(settings, session)

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            print(f"{stage}: {done}/{total}", flush=True)

    rebuilder = pipeline.rebuilder(progress)
    report = rebuilder.reconcile(args.workers)
    for key in report.republished:
        print(f"republished {key} (its notification was lost)")
    for key in report.removed:
        print(f"took down {key} (its source is gone)")
    for skipped in report.skipped:
        print(f"skipped {skipped.key}: {skipped.reason}")
    if mode == "reconcile":
        print(f"{mode}: {report.posts} posts and {report.pages} index pages checked")
        return 0
    job = uuid4().hex
    rebuilder.fanned(lambda: 900.0).start(job)
    assert pipeline.fanout is not None
    return wait_for_rebuild(pipeline.fanout.jobs, job, poll=0.5)


def wait_for_rebuild(jobs: Any, job: str, poll: float, stalled_after: float = 120.0) -> int:
    """Print a rebuild job's parts done until its last part is done and its invalidation sent;
    1 when nothing moved for `stalled_after` seconds (nobody reads the rebuild queue)."""
    import time

    last, moved = None, time.monotonic()
    while True:
        progress = jobs.progress(job)
        if progress is not None and progress.invalidated:
            print(f"rebuild {job}: {progress.done}/{progress.parts} parts done", flush=True)
            return 0
        seen = (progress.parts, progress.done) if progress is not None else None
        if seen != last:
            last, moved = seen, time.monotonic()
            if progress is not None:
                planned = progress.parts if progress.parts is not None else "?"
                print(f"rebuild {job}: {progress.done}/{planned} parts done", flush=True)
        elif time.monotonic() - moved > stalled_after:
            print(
                f"rebuild {job}: nothing done for {stalled_after:.0f} s; is the rebuild queue "
                "read? (restart `pressroom serve` after a template change; on AWS read the "
                "Rebuild function's logs and the rebuild dead-letter queue)",
                file=sys.stderr,
            )
            return 1
        time.sleep(poll)


def build_command(args: argparse.Namespace) -> int:
    import shutil
    import time

    from pressroom_dev.folder import build_site, source_files, source_times

    if not args.src.is_dir():
        raise CommandFailed(
            f"{args.src} is a file, not a folder: pass the folder of posts (e.g. _posts)"
            if args.src.exists()
            else f"{args.src}: no such folder"
        )
    if args.out.exists() and not args.out.is_dir():
        raise CommandFailed(f"--out {args.out} is a file: pass a folder for the site")
    started = time.perf_counter()
    files = list(source_files(args.src))  # each file is read by the process that parses it
    if args.out.exists():
        shutil.rmtree(args.out)
    modified = source_times(files)  # a file's mtime stands for its upload's LastModified
    report = build_site(files, args.project / "templates", args.out, args.jobs, modified=modified)
    elapsed = time.perf_counter() - started
    print(
        f"built {len(report.published)} posts into {report.pages} pages in {elapsed:.2f} s; "
        f"rejected {len(report.rejected)}; {len(report.scheduled)} dated in the future left out"
    )
    for rejection in report.rejected:
        print(f"  rejected {rejection.source_key}:")
        print("\n".join(f"    - {problem}" for problem in rejection.problems))
    for key, warnings in report.warnings.items():
        print(f"  {key}:")
        print("\n".join(f"    - {warning}" for warning in warnings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pressroom",
        description=__doc__,
        epilog="exit codes: 0 ok; 1 problems found; 2 usage, path or site folder; "
        "3 AWS endpoint, stack or server unreachable; 4 no such object; 70 bug; 130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the real pipeline on moto over a folder of posts")
    demo.add_argument(
        "--posts", type=Path, help="a folder of posts (default: the site's examples/posts)"
    )
    demo.add_argument("--out", type=Path, default=Path("_site"))
    demo.add_argument("--json", type=Path, help="also write the summary as JSON here")
    demo.add_argument("--no-serve", action="store_true", help="do not serve the result")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    build = commands.add_parser("build", help="build the whole site from a folder, no AWS")
    build.add_argument("src", type=Path, help="a folder of posts (e.g. a Jekyll _posts folder)")
    build.add_argument("--out", type=Path, default=Path("_site"))
    build.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")

    serve = commands.add_parser("serve", help="run the whole system locally (moto + handlers)")
    serve.add_argument("--posts", type=Path, help="publish this folder's files at start")
    serve.add_argument("--watch", type=Path, help="keep this folder in sync with posts/")
    serve.add_argument("--port", type=int, default=8000, help="site port")
    serve.add_argument("--aws-port", type=int, default=5000, help="moto (AWS endpoint) port")
    serve.add_argument("--host", default="127.0.0.1")

    status = commands.add_parser("status", help="queue, stream and rejected posts of `serve`")
    status.add_argument("--site-url", default="http://127.0.0.1:8000")
    status.add_argument("--wait", action="store_true", help="wait until the system is idle")
    status.add_argument("--timeout", type=float, default=120.0)
    status.add_argument("--json", action="store_true")
    status.add_argument("--stack", help="report on this deployed CloudFormation stack")

    check = commands.add_parser(
        "check", help="validate posts locally, as the pipeline would (exit 1 on problems)"
    )
    check.add_argument("paths", nargs="+", help="post files or folders of posts")
    check.add_argument("--quiet", "-q", action="store_true", help="print only the problems")
    check.add_argument("--json", action="store_true")

    publish = commands.add_parser("publish", help="upload posts and print their URLs")
    publish.add_argument("files", nargs="+")
    publish.add_argument("--jobs", type=int, default=8, help="uploads at once (default: 8)")
    publish.add_argument(
        "--verbose", action="store_true", help="list every file, also over 1,000 of them"
    )
    unpublish = commands.add_parser("unpublish", help="delete posts (source keys or file names)")
    unpublish.add_argument("keys", nargs="+")
    redrive_parser = commands.add_parser(
        "redrive",
        help="move dead letters back to the queue; rebuild what failed index batches left",
    )
    rebuild = commands.add_parser("rebuild", help="reconcile sources and table; re-render all")
    rebuild.add_argument("--reconcile-only", action="store_true", help="only repair lost events")
    rebuild.add_argument("--workers", type=int, default=8, help="pages rendered at once")
    for command in (publish, unpublish, redrive_parser, rebuild):
        command.add_argument("--endpoint-url", default="http://127.0.0.1:5000")
        command.add_argument("--stack", help="act on this deployed CloudFormation stack")
        command.add_argument("--site-url", default="http://127.0.0.1:8000")
    for command in (demo, serve, publish, build, rebuild, check, redrive_parser):
        command.add_argument(
            "--project",
            type=Path,
            help=f"the site's folder (default: ${PROJECT_ENV}, else this folder or a parent "
            "holding template.yaml and templates/site.yaml)",
        )
    return parser


def folder_option(option: str, value: Path | None) -> None:
    if value is not None and not value.is_dir():
        raise CommandFailed(
            f"{option} {value} is a file, not a folder: pass a folder of posts"
            if value.exists()
            else f"{option} {value}: no such folder"
        )


def demo_command(args: argparse.Namespace) -> int:
    project = site_of(args, stack=True)
    posts = args.posts if args.posts is not None else project / "examples" / "posts"
    folder_option("--posts", posts)
    if args.out.exists() and not args.out.is_dir():
        raise CommandFailed(f"--out {args.out} is a file: pass a folder for the site")
    if args.json is not None and args.json.is_dir():
        raise CommandFailed(f"--json {args.json} is a folder: pass a file name for the summary")
    if not args.no_serve:
        ensure_free(args.host, args.port, "--port")
    summary = run_demo(project, posts, args.out)
    print(summary.text())
    if args.json:
        args.json.write_text(
            json.dumps(asdict(summary), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    if not args.no_serve:
        serve_directory(args.out, args.host, args.port)
    return EXIT_OK


def serve_command(args: argparse.Namespace) -> int:
    from pressroom_dev.serve import serve as run_serve

    project = site_of(args, stack=True)
    folder_option("--posts", args.posts)
    folder_option("--watch", args.watch)
    for folder in (args.posts, args.watch):
        if folder is not None:
            read_sources([str(folder)])  # an unreadable file stops serve before it starts
    ensure_free(args.host, args.aws_port, "--aws-port")
    ensure_free(args.host, args.port, "--port")
    return run_serve(project, args.host, args.port, args.aws_port, args.posts, args.watch)


def run(args: argparse.Namespace) -> int:
    if args.command in ("build", "check", "publish"):
        site_of(args)
    handlers = {
        "demo": demo_command,
        "serve": serve_command,
        "build": build_command,
        "status": show_status,
        "check": check_files,
        "publish": publish_files,
        "unpublish": unpublish_keys,
        "redrive": redrive,
        "rebuild": rebuild_command,
    }
    return handlers[args.command](args)


def _endpoint(error: Exception, args: argparse.Namespace) -> str:
    """The endpoint a botocore error was about, as scheme://host:port."""
    url = str(getattr(error, "kwargs", {}).get("endpoint_url") or "")
    if url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    if getattr(args, "stack", None):
        return "AWS"
    return str(getattr(args, "endpoint_url", "") or os.environ.get("AWS_ENDPOINT_URL") or "AWS")


def explain(error: BaseException, args: argparse.Namespace) -> tuple[int, str]:
    """The exit code and the one sentence for a failure."""
    import urllib.error

    import yaml
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        CredentialRetrievalError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )
    from jinja2 import TemplateError
    from pydantic import ValidationError

    from pressroom.errors import PressroomError

    if isinstance(error, CommandFailed):
        return error.code, error.message
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(error, PressroomError) and isinstance(
        error.__cause__, BotoCoreError | ClientError
    ):
        return explain(error.__cause__, args)
    if isinstance(error, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError):
        fix = (
            "check the network and the region"
            if getattr(args, "stack", None)
            else "start `pressroom serve`, or pass the right --endpoint-url or --stack"
        )
        return EXIT_UNREACHABLE, f"cannot reach the AWS endpoint {_endpoint(error, args)}: {fix}"
    if isinstance(
        error,
        NoCredentialsError | PartialCredentialsError | CredentialRetrievalError | ProfileNotFound,
    ):
        return EXIT_UNREACHABLE, (
            f"no usable AWS credentials ({error}): set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run `aws configure`"
        )
    if isinstance(error, NoRegionError):
        return EXIT_UNREACHABLE, "no AWS region: set AWS_DEFAULT_REGION or use an AWS_PROFILE"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", "") or error)
        if code in ("NoSuchKey", "404", "NotFound"):
            return EXIT_NOT_FOUND, f"{error.operation_name}: not found ({message})"
        if code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            return EXIT_UNREACHABLE, (
                f"the stack's queues are not at {_endpoint(error, args)}: start `pressroom "
                "serve`, or pass the right --endpoint-url or --stack"
            )
        if code == "NoSuchBucket":
            return EXIT_UNREACHABLE, (
                f"the stack's bucket is not at {_endpoint(error, args)} ({message}): start "
                "`pressroom serve`, or pass the right --endpoint-url or --stack"
            )
        return EXIT_UNREACHABLE, (
            f"AWS refused {error.operation_name}: {code}: {message}: check the credentials, "
            "the region and --stack"
        )
    if isinstance(error, BotoCoreError):
        return EXIT_UNREACHABLE, f"the AWS request failed: {error}"
    if isinstance(error, urllib.error.URLError):
        return EXIT_UNREACHABLE, f"cannot reach the server ({error.reason}): is it running?"
    if isinstance(error, ConnectionError):
        return EXIT_UNREACHABLE, f"the connection failed ({error}): is the server running?"
    if isinstance(error, UnicodeDecodeError):
        return EXIT_USAGE, (
            f"a file is not UTF-8 text ({error.reason} at byte {error.start}): save it as UTF-8"
        )
    if isinstance(error, OSError):
        name = error.filename
        if isinstance(error, FileNotFoundError) and name:
            return EXIT_USAGE, f"{name}: no such file or folder"
        if isinstance(error, IsADirectoryError) and name:
            return EXIT_USAGE, f"{name} is a folder, where a file is expected"
        if isinstance(error, NotADirectoryError) and name:
            return EXIT_USAGE, f"{name}: part of this path is a file, where a folder is expected"
        if isinstance(error, PermissionError) and name:
            return EXIT_USAGE, f"{name}: permission denied: check who may read or write it"
        if name:
            return EXIT_USAGE, f"{name}: {error.strerror or error}"
        if error.errno == errno.EADDRINUSE:
            return EXIT_USAGE, f"{error.strerror or 'address in use'}: pass another port"
        return EXIT_USAGE, f"{error.strerror or error}"
    if isinstance(error, ValidationError):
        return EXIT_USAGE, f"the site configuration is not valid: {error.errors()[0]['msg']}"
    if isinstance(error, yaml.YAMLError):
        first = str(error).splitlines()[0] if str(error) else "broken YAML"
        return EXIT_USAGE, f"a YAML file cannot be read: {first}"
    if isinstance(error, TemplateError):
        return EXIT_USAGE, f"a layout is broken: {error}"
    if isinstance(error, PressroomError):
        return EXIT_PROBLEMS, f"{error}"
    return EXIT_INTERNAL, (
        f"unexpected error {type(error).__name__}: {error} "
        f"(a bug; {DEBUG_ENV}=1 prints where it happened)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends as one sentence on stderr and an exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse has printed its usage message (code 2) or --help (0)
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    try:
        return run(args)
    except (Exception, KeyboardInterrupt) as error:
        code, message = explain(error, args)
        if os.environ.get(DEBUG_ENV):
            import traceback

            traceback.print_exception(error)
        print(f"pressroom {args.command}: {message}", file=sys.stderr, flush=True)
        return code


if __name__ == "__main__":
    sys.exit(main())
