"""`pressroom serve`: the whole system on one machine.

An embedded moto server on loopback holds template.yaml's resources; the event sources are
driven in-process through the real handlers; the site bucket is served over HTTP as CloudFront
would serve it; `/_pressroom/status` tells scripts and editors when the system is idle and why a
post did not appear.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pressroom.adapters.s3 import report_key

STATUS_PATH = "/_pressroom/status"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
POWERTOOLS_LOCAL = {
    "POWERTOOLS_SERVICE_NAME": "pressroom",
    "POWERTOOLS_METRICS_NAMESPACE": "Pressroom",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


# Where each field of a CloudFront response headers policy's SecurityHeadersConfig goes.
_SECURITY_HEADERS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "StrictTransportSecurity": lambda c: (
        "Strict-Transport-Security",
        "; ".join(
            [f"max-age={int(c['AccessControlMaxAgeSec'])}"]
            + (["includeSubDomains"] if c.get("IncludeSubdomains") else [])
            + (["preload"] if c.get("Preload") else [])
        ),
    ),
    "ContentTypeOptions": lambda c: ("X-Content-Type-Options", "nosniff"),
    "FrameOptions": lambda c: ("X-Frame-Options", str(c["FrameOption"])),
    "ReferrerPolicy": lambda c: ("Referrer-Policy", str(c["ReferrerPolicy"])),
    "ContentSecurityPolicy": lambda c: (
        "Content-Security-Policy",
        str(c["ContentSecurityPolicy"]),
    ),
    "XSSProtection": lambda c: (
        "X-XSS-Protection",
        "; ".join(
            ["1" if c.get("Protection") else "0"]
            + (["mode=block"] if c.get("ModeBlock") else [])
            + ([f"report={c['ReportUri']}"] if c.get("ReportUri") else [])
        ),
    ),
}


def security_headers(template: dict[str, Any]) -> dict[str, str]:
    """The headers that the response headers policy of template.yaml's distribution (its default
    cache behavior's) adds to every response; none for a managed policy given by id."""
    resources: dict[str, Any] = template.get("Resources") or {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::CloudFront::Distribution":
            continue
        config = resource.get("Properties", {}).get("DistributionConfig", {})
        policy_id = config.get("DefaultCacheBehavior", {}).get("ResponseHeadersPolicyId")
        if not isinstance(policy_id, dict) or not isinstance(policy_id.get("Ref"), str):
            continue
        policy = resources.get(policy_id["Ref"], {}).get("Properties", {})
        settings = policy.get("ResponseHeadersPolicyConfig", {})
        headers: dict[str, str] = {}
        for name, field_config in (settings.get("SecurityHeadersConfig") or {}).items():
            if name in _SECURITY_HEADERS:
                header, value = _SECURITY_HEADERS[name](field_config)
                headers[header] = value
        for item in (settings.get("CustomHeadersConfig") or {}).get("Items", []):
            headers[str(item["Header"])] = str(item["Value"])
        return headers
    return {}


def site_response(s3: Any, bucket: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """What CloudFront answers for a path: the object (folders and / serve index.html), or the
    site's 404.html with status 404."""
    path = unquote(urlsplit(raw_path).path)
    key = (path + "index.html" if path.endswith("/") else path).lstrip("/")
    for candidate, status in ((key, 200), ("404.html", 404)):
        if not candidate or ".." in candidate.split("/"):
            continue
        try:
            obj = s3.get_object(Bucket=bucket, Key=candidate)
        except s3.exceptions.NoSuchKey:
            continue
        headers = {"Content-Type": obj.get("ContentType") or "application/octet-stream"}
        if obj.get("CacheControl"):
            headers["Cache-Control"] = obj["CacheControl"]
        if obj.get("ETag"):
            headers["ETag"] = obj["ETag"]
        return status, headers, obj["Body"].read()
    return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"404 Not Found\n"


class SiteServer(ThreadingHTTPServer):
    """HTTP front of the site bucket, plus the status endpoint."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        s3: Any,
        bucket: str,
        status: Callable[[], dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(address, _SiteHandler)
        self.s3 = s3
        self.bucket = bucket
        self.status = status
        # Added to every site response, as the distribution's response headers policy does.
        self.headers = dict(headers or {})


class _SiteHandler(BaseHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        if urlsplit(self.path).path == STATUS_PATH:
            body = json.dumps(self.server.status(), ensure_ascii=False, indent=2).encode()
            status, headers = 200, {"Content-Type": "application/json; charset=utf-8"}
            headers["Cache-Control"] = "no-store"
        else:
            status, headers, body = site_response(self.server.s3, self.server.bucket, self.path)
            headers |= self.server.headers
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class FolderSync:
    """Keeps a local folder's files in sync with `posts/` of the source bucket."""

    folder: Path
    upload: Callable[[Path, str], None]
    delete: Callable[[str], None]
    seen: dict[str, tuple[float, int]] = field(default_factory=dict)

    def key(self, path: Path) -> str:
        return "posts/" + path.relative_to(self.folder).as_posix()

    def scan(self) -> list[str]:
        """Upload new and changed files, delete keys of removed files; the keys touched."""
        current: dict[str, tuple[float, int]] = {}
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                current[self.key(path)] = (stat.st_mtime, stat.st_size)
        touched = []
        for key, signature in current.items():
            if self.seen.get(key) != signature:
                self.upload(self.folder / key.removeprefix("posts/"), key)
                touched.append(key)
        for key in self.seen.keys() - current.keys():
            self.delete(key)
            touched.append(key)
        self.seen = current
        return touched


@dataclass
class LocalSystem:
    """A running local stack: moto server, resources, event pump, site server."""

    stack: Any
    pump: Any
    site: SiteServer
    moto: Any
    rejections: Callable[[], list[Any]]
    published: Callable[[], int]
    endpoints: dict[str, str]
    before_status: Callable[[], object] | None = None

    def status(self) -> dict[str, Any]:
        if self.before_status is not None:
            self.before_status()  # a watched folder's pending changes count as work
        report: dict[str, Any] = self.pump.status()
        report["rejected"] = [
            {
                "source_key": r.source_key,
                "message": r.message,
                "problems": [str(problem) for problem in r.problems],
                "report": f"s3://{self.stack.name('SourceBucket')}/{report_key(r.source_key)}",
            }
            for r in sorted(self.rejections(), key=lambda r: r.source_key)
        ]
        report["published"] = self.published()
        report["endpoints"] = self.endpoints
        report["buckets"] = {
            "source": self.stack.name("SourceBucket"),
            "site": self.stack.name("SiteBucket"),
        }
        return report

    def open_site(self) -> None:
        """Start answering HTTP (after the initial posts are in, so `idle` means done)."""
        threading.Thread(target=self.site.serve_forever, daemon=True).start()

    def wait_idle(self, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pump.status()["idle"]:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self.site.shutdown()
        self.pump.stop()
        self.moto.stop()


def start_local_system(
    project_dir: Path, host: str, port: int, aws_port: int, stack_name: str = "pressroom"
) -> LocalSystem:
    """Start moto on `aws_port`, create template.yaml's resources, pump events, serve the site."""
    for name, value in (LOCAL_CREDENTIALS | POWERTOOLS_LOCAL).items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    import boto3
    from moto.server import ThreadedMotoServer

    from pressroom.adapters.dynamodb import DynamoPostRepository
    from pressroom_dev.delivery import EventSourceMappings
    from pressroom_dev.moto_patches import install_moto_fidelity
    from pressroom_dev.stack import REGION, LocalStack

    install_moto_fidelity()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address=host, port=aws_port, verbose=False)
    moto.start()
    endpoint = f"http://{host}:{aws_port}"
    session = boto3.session.Session(region_name=REGION)
    stack = LocalStack(project_dir, session, stack_name, endpoint_url=endpoint).create()
    os.environ.update(stack.environment())
    pump = EventSourceMappings(stack, stack.invoke).start()  # the mappings, in real time
    repository = DynamoPostRepository(stack.name("PostsTable"), stack.dynamodb)
    site = SiteServer(
        (host, port),
        stack.s3,
        stack.name("SiteBucket"),
        lambda: {},
        security_headers(stack.template),
    )
    endpoints = {"site": f"http://{host}:{site.server_port}/", "aws": endpoint}
    system = LocalSystem(
        stack,
        pump,
        site,
        moto,
        repository.rejections,
        lambda: sum(1 for record in repository.records() if record.live),
        endpoints,
    )
    site.status = system.status
    return system


def banner(system: LocalSystem) -> str:
    source = system.stack.name("SourceBucket")
    aws = system.endpoints["aws"]
    return "\n".join(
        [
            "pressroom is running",
            f"  site:        {system.endpoints['site']}",
            f"  status:      {system.endpoints['site'].rstrip('/')}{STATUS_PATH}",
            f"  AWS (moto):  {aws}",
            f"  source bucket: {source}",
            f"  site bucket:   {system.stack.name('SiteBucket')}",
            "check a post before uploading it: pressroom check post.md",
            "upload a post:",
            "  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\",
            "  AWS_DEFAULT_REGION=us-east-1 \\",
            f"    aws s3 cp post.md s3://{source}/posts/ --endpoint-url {aws}",
            f"  or: pressroom publish post.md --endpoint-url {aws}",
            "Ctrl-C stops everything.",
        ]
    )


def serve(
    project_dir: Path,
    host: str,
    port: int,
    aws_port: int,
    posts: Path | None,
    watch: Path | None,
) -> int:
    system = start_local_system(project_dir, host, port, aws_port)
    s3, source = system.stack.s3, system.stack.name("SourceBucket")

    def upload(path: Path, key: str) -> None:
        s3.put_object(Bucket=source, Key=key, Body=path.read_bytes())

    def delete(key: str) -> None:
        s3.delete_object(Bucket=source, Key=key)

    if posts is not None:
        count = len(FolderSync(posts, upload, delete).scan())
        print(f"published {count} files from {posts}/", flush=True)
    sync = FolderSync(watch, upload, delete) if watch is not None else None
    scan_lock = threading.Lock()

    def scan() -> list[str]:
        if sync is None:
            return []
        with scan_lock:
            touched = sync.scan()
        for key in touched:
            print(f"synced {key}", flush=True)
        return touched

    system.before_status = scan
    system.open_site()
    print(banner(system), flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.is_set():
            scan()
            stopping.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        system.stop()
        print("stopped", flush=True)
    return 0
