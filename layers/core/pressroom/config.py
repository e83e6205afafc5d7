"""Typed configuration: the site's own settings (site.yaml) and the deployment settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class Limits(BaseModel):
    """Bounds enforced on every source file before and while it is parsed."""

    model_config = ConfigDict(extra="forbid")

    max_source_bytes: int = Field(default=1_000_000, gt=0)
    max_title_chars: int = Field(default=300, gt=0)
    max_categories: int = Field(default=10, gt=0)
    max_tags: int = Field(default=5, ge=0)
    max_body_chars: int = Field(default=200_000, gt=0)


class RobotsGroup(BaseModel):
    """One group of robots.txt rules (RFC 9309): the crawlers it names and their paths."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agents: tuple[str, ...] = Field(default=("*",), min_length=1)
    allow: tuple[str, ...] = ()
    disallow: tuple[str, ...] = ()

    @field_validator("user_agents", "allow", "disallow")
    @classmethod
    def _one_line(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not value.strip() or any(char in value for char in "\r\n#"):
                raise ValueError(f"robots rule {value!r} must be one line, without '#'")
        return tuple(value.strip() for value in values)


class SiteConfig(BaseModel):
    """The site configuration (templates/site.yaml): names, time zone, URL patterns, sizes."""

    model_config = ConfigDict(extra="allow", frozen=True)

    title: str = "pressroom"
    description: str = ""
    lang: str = "zh-CN"
    url: str = "http://localhost:8000"
    timezone: str = "Asia/Shanghai"
    default_layout: str = "post"
    permalink: str = "/:categories/:year/:month/:day/:title.html"
    category_path: str = "/category/:name.html"
    category_archive_path: str = "/category/:name/:year-:month.html"
    tag_path: str = "/tag/:name.html"
    tag_archive_path: str = "/tag/:name/:year-:month.html"
    listing_size: int = Field(default=50, gt=0)
    # Atom feeds: the site's, and one per category and per tag ("" for none of that kind).
    author: str = ""
    feed_path: str = "/feed.xml"
    category_feed_path: str = "/feed/:name.xml"
    tag_feed_path: str = "/feed/by_tag/:name.xml"
    feed_size: int = Field(default=20, gt=0, le=100)
    # robots.txt: its groups of rules (by default every crawler may crawl everything).
    robots: tuple[RobotsGroup, ...] = (RobotsGroup(),)
    # The sitemap index ("" for no sitemaps), at the root; its shards are named after it
    # (`/sitemap-…`). A shard lists at most this many posts: a month with more is split by
    # day, a day by hour (each post brings at most 31 URLs, so 50,000 per shard holds).
    sitemap_path: str = "/sitemap.xml"
    sitemap_size: int = Field(default=1000, gt=1, le=1500)
    # One invalidation of more paths than this becomes one wildcard (`/*`), which CloudFront
    # bills as one path.
    cdn_wildcard_after: int = Field(default=100, gt=0, le=3000)  # CloudFront's paths per request
    # Seconds a wildcard waits for the writes still coming, so a bulk import clears the CDN
    # once per this many seconds rather than once per index batch (0: at once). At most
    # SQS's longest message delay.
    cdn_wildcard_delay: int = Field(default=60, ge=0, le=900)
    home_size: int = Field(default=20, gt=0)
    # Most posts an archive page lists: a month with more is split by day, a day by hour
    # (README, "Listing pages").
    archive_page_size: int = Field(default=100, gt=1)
    limits: Limits = Limits()
    # Post bodies are trusted staff HTML; with `sanitize: true` they are cleaned with nh3
    # (scripts, event handlers, javascript: URLs, iframes and styles removed).
    sanitize: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "permalink", "category_path", "category_archive_path", "tag_path", "tag_archive_path"
    )
    @classmethod
    def _rooted(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"URL pattern {value!r} must start with '/'")
        return value

    @field_validator("feed_path", "category_feed_path", "tag_feed_path", "sitemap_path")
    @classmethod
    def _file_path(cls, value: str, info: ValidationInfo) -> str:
        if value and (not value.startswith("/") or value.endswith("/")):
            raise ValueError(f"{info.field_name} {value!r} must start with '/' and name a file")
        return value

    @field_validator("sitemap_path")
    @classmethod
    def _xml_sitemap(cls, value: str) -> str:
        if value and (not value.endswith(".xml") or ":" in value or value.count("/") > 1):
            raise ValueError(
                f"sitemap path {value!r} must name an .xml file at the site's root, without ':' "
                "(a sitemap may only list URLs under its own folder)"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def month_of(self, when: datetime) -> str:
        """The archive month ('YYYY-MM') a moment belongs to, in the site's time zone."""
        local = when.astimezone(self.zone)
        return f"{local.year:04d}-{local.month:02d}"

    def hour_of(self, when: datetime) -> str:
        """The archive hour ('YYYY-MM-DDTHH') a moment belongs to, in the site's time zone."""
        return when.astimezone(self.zone).strftime("%Y-%m-%dT%H")

    @classmethod
    def load(cls, path: Path) -> SiteConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.model_validate(data)


class Settings(BaseModel):
    """Where the deployed (or local) resources are; read once at the edge from the environment."""

    model_config = ConfigDict(frozen=True)

    source_bucket: str
    site_bucket: str
    posts_table: str
    templates_dir: Path
    distribution_id: str = ""
    schedule_group: str = "default"
    schedule_target_arn: str = ""
    scheduler_role_arn: str = ""
    ingest_queue_url: str = ""  # where BuildIndexes sends the claimants of a contested URL
    rebuild_queue_url: str = ""  # where a fanned-out rebuild sends its plan steps and parts
    endpoint_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            source_bucket=environ["SOURCE_BUCKET"],
            site_bucket=environ["SITE_BUCKET"],
            posts_table=environ["POSTS_TABLE"],
            templates_dir=Path(environ.get("TEMPLATES_DIR", "/opt/templates")),
            distribution_id=environ.get("DISTRIBUTION_ID", ""),
            schedule_group=environ.get("SCHEDULE_GROUP", "default"),
            schedule_target_arn=environ.get("SCHEDULE_TARGET_ARN", ""),
            scheduler_role_arn=environ.get("SCHEDULER_ROLE_ARN", ""),
            ingest_queue_url=environ.get("INGEST_QUEUE_URL", ""),
            rebuild_queue_url=environ.get("REBUILD_QUEUE_URL", ""),
            endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        )
