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
from urllib.parse import unquote, unquote_plus, urlsplit

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


def viewer_request_uri(uri: str) -> str:
    """What the distribution's viewer-request function (template.yaml's
    SiteFolderIndexFunction) makes of a request's URI, given without its query string, as
    CloudFront gives it: a folder URL ending in "/" ("/" too) asks for its index.html.
    tests/integration/test_viewer_request.py runs the template's code against this."""
    return uri + "index.html" if uri.endswith("/") else uri


def origin_key(uri: str) -> str:
    """The site-bucket key S3's REST API reads from a request path, which CloudFront forwards as
    the viewer sent it: percent-decoded, and a literal `+` read as a space (S3 decodes the path
    as a form value; a plus in a key is `%2B` in the path). So a link with a literal `+` misses
    here as it does on AWS."""
    return unquote_plus(uri).lstrip("/")


def origin_response(s3: Any, bucket: str, uri: str) -> tuple[int, dict[str, str], bytes]:
    """What the site bucket answers CloudFront for a URI (after the viewer-request function):
    the object, or the site's 404.html with status 404 (the distribution's custom error
    responses for S3's 403 and 404)."""
    key = origin_key(uri)
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


def site_response(s3: Any, bucket: str, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """What CloudFront's origin request gives for a request path (query string and all),
    without the cache: the viewer-request rule, then the bucket's answer."""
    return origin_response(s3, bucket, viewer_request_uri(urlsplit(raw_path).path))


# -- the CDN's cache ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CachePolicy:
    """The TTLs of a CloudFront cache policy, in seconds."""

    min_ttl: int
    default_ttl: int
    max_ttl: int

    def ttl(self, cache_control: str | None) -> int:
        """How long CloudFront keeps an object with this Cache-Control: s-maxage, else
        max-age, held to [min_ttl, max_ttl]; default_ttl without either; min_ttl for
        no-cache, no-store or private (AWS's "Managing how long content stays in the cache")."""
        directives: dict[str, str] = {}
        for part in (cache_control or "").split(","):
            name, _, value = part.strip().partition("=")
            if name:
                directives[name.lower()] = value.strip().strip('"')
        if directives.keys() & {"no-cache", "no-store", "private"}:
            return self.min_ttl
        for name in ("s-maxage", "max-age"):
            if directives.get(name, "").isdigit():
                return max(self.min_ttl, min(int(directives[name]), self.max_ttl))
        return self.default_ttl


MANAGED_CACHE_POLICIES = {
    # Managed-CachingOptimized
    "658327ea-f89d-4fab-a63d-7e88639e58f6": CachePolicy(1, 86_400, 31_536_000),
}
DEFAULT_ERROR_CACHING_MIN_TTL = 10
"""CloudFront's ErrorCachingMinTTL when a custom error response gives none."""


@dataclass(frozen=True)
class CdnConfig:
    """What of the distribution's configuration decides what its caches keep."""

    policy: CachePolicy
    error_ttls: dict[int, int]

    def error_ttl(self, status: int) -> int:
        return self.error_ttls.get(status, DEFAULT_ERROR_CACHING_MIN_TTL)


def cdn_config(template: dict[str, Any]) -> CdnConfig:
    """The cache policy (a managed one, by id) and error caching TTLs of template.yaml's
    distribution's default cache behavior; CachingOptimized's TTLs if it names no policy."""
    for resource in (template.get("Resources") or {}).values():
        if resource.get("Type") != "AWS::CloudFront::Distribution":
            continue
        config = resource.get("Properties", {}).get("DistributionConfig", {})
        policy_id = config.get("DefaultCacheBehavior", {}).get("CachePolicyId")
        if policy_id not in MANAGED_CACHE_POLICIES:
            raise ValueError(f"the local CDN does not know the cache policy {policy_id!r}")
        error_ttls = {
            # S3 answers 403 for a missing object; the viewer gets the ResponseCode.
            int(entry.get("ResponseCode", entry["ErrorCode"])): int(
                entry.get("ErrorCachingMinTTL", DEFAULT_ERROR_CACHING_MIN_TTL)
            )
            for entry in config.get("CustomErrorResponses", [])
        }
        return CdnConfig(MANAGED_CACHE_POLICIES[policy_id], error_ttls)
    return CdnConfig(next(iter(MANAGED_CACHE_POLICIES.values())), {})


def invalidation_matches(path: str, uri: str) -> bool:
    """Whether an invalidation path ("/a/b.html", "/a/*", "/*"; percent-encoded or not)
    covers a cached URI (after the viewer-request function)."""
    path, uri = unquote(path), unquote(uri)
    return uri.startswith(path[:-1]) if path.endswith("*") else uri == path


class DistributionInvalidations:
    """The invalidations of a distribution in moto, each seen once: ListInvalidations, and
    GetInvalidation for the paths of the new ones."""

    def __init__(self, cloudfront: Any, distribution_id: str) -> None:
        self.cloudfront = cloudfront
        self.distribution_id = distribution_id
        self.seen: set[str] = set()

    def new(self) -> list[tuple[float, list[str]]]:
        """(creation time, paths) of each invalidation not returned before."""
        found = []
        pages = self.cloudfront.get_paginator("list_invalidations").paginate(
            DistributionId=self.distribution_id
        )
        for page in pages:
            for summary in page["InvalidationList"].get("Items") or []:
                if summary["Id"] in self.seen:
                    continue
                invalidation = self.cloudfront.get_invalidation(
                    DistributionId=self.distribution_id, Id=summary["Id"]
                )["Invalidation"]
                paths = invalidation["InvalidationBatch"]["Paths"].get("Items") or []
                found.append((invalidation["CreateTime"].timestamp(), list(paths)))
                self.seen.add(summary["Id"])
        return found


@dataclass
class _Cached:
    status: int
    headers: dict[str, str]
    body: bytes
    stored: float  # the cache's clock when fetched from the origin (Age, expiry)
    expires: float
    fetched: float  # time.time() the fetch began, to compare with invalidations' CreateTime


class EdgeCache:
    """One CloudFront cache in front of the site bucket: each response is kept under its URI
    (after the viewer-request function; the query string is not part of the key, as in
    CachingOptimized) for the TTL the cache policy and its Cache-Control give, or an error
    response for its ErrorCachingMinTTL, until an invalidation created after it was fetched
    names its path. Invalidations are read from the distribution at most every
    `poll_interval` seconds, when a request comes. `clock` gives the time of TTLs and Age
    (tests move it); invalidations are compared with the real time copies were fetched at."""

    def __init__(
        self,
        config: CdnConfig,
        invalidations: DistributionInvalidations | None = None,
        poll_interval: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.invalidations = invalidations
        self.poll_interval = poll_interval
        self.clock = clock
        self.entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._polled = float("-inf")

    def poll(self) -> None:
        """Apply the invalidations created since the last poll (when one is due)."""
        if self.invalidations is None:
            return
        with self._poll_lock:
            now = time.monotonic()
            if now - self._polled < self.poll_interval:
                return
            self._polled = now
            fresh = self.invalidations.new()
        with self._lock:
            for created, paths in fresh:
                for uri in [
                    uri
                    for uri, entry in self.entries.items()
                    if entry.fetched <= created
                    and any(invalidation_matches(path, uri) for path in paths)
                ]:
                    del self.entries[uri]

    def respond(
        self, uri: str, fetch: Callable[[str], tuple[int, dict[str, str], bytes]]
    ) -> tuple[int, dict[str, str], bytes]:
        """The response for a URI (after the viewer-request function): the cached copy with
        its Age, or the origin's (`fetch`), kept for its TTL; X-Cache says which."""
        self.poll()
        now = self.clock()
        with self._lock:
            entry = self.entries.get(uri)
            if entry is not None and entry.expires <= now:
                del self.entries[uri]
                entry = None
        if entry is not None:
            headers = dict(entry.headers)
            headers["Age"] = str(max(0, int(now - entry.stored)))
            headers["X-Cache"] = "Hit from cloudfront" if entry.status < 400 else _ERROR_CACHE
            return entry.status, headers, entry.body
        started = time.time()  # a copy is as old as the request that fetched it
        status, headers, body = fetch(uri)
        if status >= 400:
            ttl = self.config.error_ttl(status)
        else:
            ttl = self.config.policy.ttl(headers.get("Cache-Control"))
        with self._lock:
            self.entries[uri] = _Cached(status, dict(headers), body, now, now + ttl, started)
        headers = dict(headers)
        headers["X-Cache"] = "Miss from cloudfront" if status < 400 else _ERROR_CACHE
        return status, headers, body

    def ttl_of(self, uri: str) -> float | None:
        """The TTL (seconds) the cached copy of `uri` was given, or None when none is cached."""
        with self._lock:
            entry = self.entries.get(uri)
        return None if entry is None else entry.expires - entry.stored


_ERROR_CACHE = "Error from cloudfront"


class SiteServer(ThreadingHTTPServer):
    """HTTP front of the site bucket, as the distribution serves it (the viewer-request
    function, the edge cache, the response headers policy), plus the status endpoint."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        s3: Any,
        bucket: str,
        status: Callable[[], dict[str, Any]],
        headers: dict[str, str] | None = None,
        cache: EdgeCache | None = None,
    ) -> None:
        super().__init__(address, _SiteHandler)
        self.s3 = s3
        self.bucket = bucket
        self.status = status
        # Added to every site response, as the distribution's response headers policy does.
        self.headers = dict(headers or {})
        # Always there, as in production; without invalidations only TTLs end a copy.
        self.cache = cache or EdgeCache(cdn_config({}))

    def site_response(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        uri = viewer_request_uri(urlsplit(raw_path).path)
        return self.cache.respond(uri, lambda u: origin_response(self.s3, self.bucket, u))


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
            status, headers, body = self.server.site_response(self.path)
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
    waiting: Callable[[], list[dict[str, Any]]] | None = None  # posts waiting for their URL

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
        report["waiting"] = self.waiting() if self.waiting is not None else []
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

    from pressroom.adapters.dynamodb import StreamMirror
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
    # The status report reads the table as its stream tells it, not by scanning it, so it
    # costs the same at any size and does not slow the mappings down.
    mirror = StreamMirror()
    pump = EventSourceMappings(stack, stack.invoke, on_stream_records=mirror.apply).start()
    site = SiteServer(
        (host, port),
        stack.s3,
        stack.name("SiteBucket"),
        lambda: {},
        security_headers(stack.template),
        site_cache(stack),
    )
    endpoints = {"site": f"http://{host}:{site.server_port}/", "aws": endpoint}
    system = LocalSystem(
        stack,
        pump,
        site,
        moto,
        mirror.rejections,
        mirror.live_count,
        endpoints,
        waiting=lambda: [
            {
                "source_key": record.source_key,
                "url": record.url,
                "owner": mirror.url_owner(record.url) or "",
                "report": f"s3://{stack.name('SourceBucket')}/{report_key(record.source_key)}",
            }
            for record in mirror.waiting()
        ],
    )
    site.status = system.status
    return system


def site_cache(stack: Any) -> EdgeCache:
    """The edge cache of the stack's distribution: its template's cache settings, evicted by
    the invalidations the distribution gets in moto."""
    distribution_id = stack.distribution_id()
    invalidations = (
        DistributionInvalidations(stack.cloudfront, distribution_id) if distribution_id else None
    )
    return EdgeCache(cdn_config(stack.template), invalidations)


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
            f"  distribution:  {system.stack.distribution_id()} (the site port caches like it;"
            " its invalidations: aws cloudfront list-invalidations --distribution-id"
            f" {system.stack.distribution_id()} --endpoint-url {aws})",
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
