"""The `pressroom` command: `demo` runs the real pipeline on moto and shows the result."""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pressroom.urls import key_for_url

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
        for path in sorted(p for p in posts_dir.rglob("*") if p.is_file()):
            key = "posts/" + path.relative_to(posts_dir).as_posix()
            s3.put_object(Bucket=settings.source_bucket, Key=key, Body=path.read_bytes())
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
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
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


def resolve_target(args: argparse.Namespace) -> Target:
    import boto3

    from pressroom_dev.stack import local_name

    if args.stack:
        session = boto3.session.Session()
        stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return Target(
            session.client("s3"),
            session.client("sqs"),
            outputs["SourceBucketName"],
            outputs["IngestQueueUrl"],
            outputs["DeadLetterQueueUrl"],
            outputs["SiteUrl"].rstrip("/"),
            outputs.get("IndexesDeadLetterQueueUrl", ""),
        )
    for name, value in LOCAL_ENVIRONMENT.items():
        if name.startswith("AWS_"):
            os.environ.setdefault(name, value)
    session = boto3.session.Session(region_name=os.environ["AWS_DEFAULT_REGION"])
    sqs = session.client("sqs", endpoint_url=args.endpoint_url)

    def queue_url(logical_id: str) -> str:
        return str(sqs.get_queue_url(QueueName=local_name("pressroom", logical_id))["QueueUrl"])

    return Target(
        session.client("s3", endpoint_url=args.endpoint_url),
        sqs,
        local_name("pressroom", "SourceBucket"),
        queue_url("IngestQueue") if args.command == "redrive" else "",
        queue_url("IngestDeadLetterQueue") if args.command == "redrive" else "",
        args.site_url.rstrip("/"),
    )


def source_key(name: str) -> str:
    """`posts/x.md`, `x.md` and `some/dir/x.md` (a local path) all name `posts/x.md`."""
    return name if name.startswith("posts/") else "posts/" + Path(name).name


def publish_files(args: argparse.Namespace) -> int:
    from pressroom.content import parse_post
    from pressroom.errors import InvalidPost
    from pressroom.render import SiteRenderer
    from pressroom.urls import href

    renderer = SiteRenderer.from_directory(args.project / "templates")
    target = resolve_target(args)
    failures = 0
    for name in args.files:
        path = Path(name)
        key = source_key(name)
        raw = path.read_bytes()
        target.s3.put_object(Bucket=target.source_bucket, Key=key, Body=raw)
        try:
            post = parse_post(key, raw, renderer.config, renderer.post_layouts)
        except InvalidPost as error:
            failures += 1
            print(f"{key}: uploaded, but it will be rejected:")
            print("\n".join(f"  - {problem}" for problem in error.problems))
            continue
        where = f"{target.site_url}{href(post.url)}" if post.published else "(published: false)"
        print(f"{key} -> {where}")
    return 1 if failures else 0


def check_files(args: argparse.Namespace) -> int:
    """Validate local files as the pipeline would; non-zero exit when any would be rejected."""
    from pressroom.render import SiteRenderer
    from pressroom.urls import href
    from pressroom_dev.folder import check_sources, source_files

    renderer = SiteRenderer.from_directory(args.project / "templates")
    sources: list[tuple[str, str, bytes]] = []
    for name in args.paths:
        path = Path(name)
        if path.is_dir():
            sources += [(str(file), key, file.read_bytes()) for key, file in source_files(path)]
        elif path.is_file():
            sources.append((name, source_key(name), path.read_bytes()))
        else:
            print(f"{name}: no such file or folder", file=sys.stderr)
            return 2
    results = check_sources(sources, renderer)
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
        elif not args.quiet:
            where = href(result.url) if result.published else "(published: false)"
            print(f"{result.path}: ok -> {where}")
    print(f"checked {len(results)} files: {len(results) - len(failed)} ok, {len(failed)} rejected")
    return 1 if failed else 0


def unpublish_keys(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    for name in args.keys:
        key = source_key(name)
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
    return 0


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
    }


def show_status(args: argparse.Namespace) -> int:
    import time
    import urllib.error

    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + args.timeout
    while True:
        try:
            target = resolve_target(args) if args.stack else None
            status = deployed_status(target) if target else fetch_status(args.site_url)
        except (BotoCoreError, ClientError) as error:
            print(f"cannot read the stack {args.stack}: {error}")
            return 2
        except (urllib.error.URLError, OSError) as error:
            if not args.wait or time.monotonic() > deadline:
                print(f"pressroom serve is not answering on {args.site_url}: {error}")
                return 2
            time.sleep(0.5)
            continue
        if not args.wait or status["idle"] or time.monotonic() > deadline:
            break
        time.sleep(0.2 if target is None else 5)
    print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else status_text(status))
    return 0 if status["idle"] or not args.wait else 1


def rebuild_command(args: argparse.Namespace) -> int:
    """Reconcile and re-render: in-process against the local stack, or by invoking a deployed
    stack's Rebuild function."""
    import boto3

    mode = "reconcile" if args.reconcile_only else "rebuild"
    if args.stack:
        session = boto3.session.Session()
        stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        response = session.client("lambda").invoke(
            FunctionName=outputs["RebuildFunctionName"],
            Payload=json.dumps({"mode": mode, "workers": args.workers}).encode(),
        )
        print(response["Payload"].read().decode())
        return 1 if response.get("FunctionError") else 0
    from pressroom.composition import pipeline_from_settings
    from pressroom_dev.stack import REGION, LocalStack

    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    session = boto3.session.Session(region_name=REGION)
    local = LocalStack(args.project.resolve(), session, endpoint_url=args.endpoint_url)
    pipeline = pipeline_from_settings(local.settings(), session)

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            print(f"{stage}: {done}/{total}", flush=True)

    rebuilder = pipeline.rebuilder(progress)
    report = (
        rebuilder.reconcile(args.workers)
        if mode == "reconcile"
        else rebuilder.rebuild(args.workers)
    )
    for key in report.republished:
        print(f"republished {key} (its notification was lost)")
    for key in report.removed:
        print(f"took down {key} (its source is gone)")
    print(f"{mode}: {report.posts} posts and {report.pages} index pages checked")
    return 0


def build_command(args: argparse.Namespace) -> int:
    import shutil
    import time

    from pressroom_dev.folder import build_site, source_files

    if not args.src.is_dir():
        print(f"{args.src} is not a folder")
        return 2
    if args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    sources = [(key, path.read_bytes()) for key, path in source_files(args.src)]
    report = build_site(sources, args.project / "templates", args.out, args.jobs)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pressroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the real pipeline on moto over a folder of posts")
    demo.add_argument("--posts", type=Path, default=Path("examples/posts"))
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
    unpublish = commands.add_parser("unpublish", help="delete posts (source keys or file names)")
    unpublish.add_argument("keys", nargs="+")
    redrive_parser = commands.add_parser("redrive", help="move dead letters back to the queue")
    rebuild = commands.add_parser("rebuild", help="reconcile sources and table; re-render all")
    rebuild.add_argument("--reconcile-only", action="store_true", help="only repair lost events")
    rebuild.add_argument("--workers", type=int, default=8, help="pages rendered at once")
    for command in (publish, unpublish, redrive_parser, rebuild):
        command.add_argument("--endpoint-url", default="http://127.0.0.1:5000")
        command.add_argument("--stack", help="act on this deployed CloudFormation stack")
        command.add_argument("--site-url", default="http://127.0.0.1:8000")
    for command in (demo, serve, publish, build, rebuild, check):
        command.add_argument(
            "--project", type=Path, default=Path("."), help="template.yaml's folder"
        )
    args = parser.parse_args(argv)

    if args.command in ("demo", "serve") and not (args.project / "template.yaml").is_file():
        parser.error(f"no template.yaml in {args.project.resolve()} (use --project)")
    for folder in ("posts", "watch"):
        value = getattr(args, folder, None)
        if value is not None and not value.is_dir():
            parser.error(f"--{folder} {value} is not a folder")
    if args.command == "demo":
        summary = run_demo(args.project.resolve(), args.posts, args.out)
        print(summary.text())
        if args.json:
            args.json.write_text(
                json.dumps(asdict(summary), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if not args.no_serve:
            serve_directory(args.out, args.host, args.port)
        return 0
    if args.command == "build":
        return build_command(args)
    if args.command == "serve":
        from pressroom_dev.serve import serve as run_serve

        return run_serve(
            args.project.resolve(), args.host, args.port, args.aws_port, args.posts, args.watch
        )
    handlers = {
        "status": show_status,
        "check": check_files,
        "publish": publish_files,
        "unpublish": unpublish_keys,
        "redrive": redrive,
        "rebuild": rebuild_command,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
