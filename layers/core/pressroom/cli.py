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

from pressroom.site import key_for_url

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

    from pressroom.adapters import DynamoPostRepository, pipeline_from_settings
    from pressroom.local import REGION, LocalStack

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
                {"source_key": rejection.source_key, "problems": list(rejection.problems)}
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pressroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the real pipeline on moto over a folder of posts")
    demo.add_argument("--posts", type=Path, default=Path("examples/posts"))
    demo.add_argument("--out", type=Path, default=Path("_site"))
    demo.add_argument("--project", type=Path, default=Path("."), help="folder with template.yaml")
    demo.add_argument("--json", type=Path, help="also write the summary as JSON here")
    demo.add_argument("--no-serve", action="store_true", help="do not serve the result")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    if args.command == "demo":
        if not (args.project / "template.yaml").is_file():
            parser.error(f"no template.yaml in {args.project.resolve()} (use --project)")
        if not args.posts.is_dir():
            parser.error(f"--posts {args.posts} is not a folder")
        summary = run_demo(args.project.resolve(), args.posts, args.out)
        print(summary.text())
        if args.json:
            args.json.write_text(
                json.dumps(asdict(summary), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if not args.no_serve:
            serve_directory(args.out, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
