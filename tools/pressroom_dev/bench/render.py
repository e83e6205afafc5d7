# ruff: noqa: E501  (templates are kept as Hugo and Jinja2 read them, one line a tag)
"""One post's parse + render against the same libraries called directly."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from pressroom.content import parse_post
from pressroom.pages.post import render_post
from pressroom.render import SiteRenderer
from pressroom_dev.bench import corpus
from pressroom_dev.bench.process import profile_text

# The site's post page (base.html + post.html) in one template, with plain values for what the
# site computes (URLs, the formatted date): what Jinja2 alone costs for a page of the same size.
REFERENCE_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page.title }} | {{ site_title }}</title>
<meta property="og:title" content="{{ page.title }}">
<meta property="og:url" content="{{ absolute_url }}">
<link rel="canonical" href="{{ absolute_url }}">
<style>
body{margin:0;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;line-height:1.7;color:#222}
.wrapper{max-width:52rem;margin:0 auto;padding:1rem 1.25rem}
header.site{border-bottom:1px solid #ddd;margin-bottom:1rem}
header.site a{color:inherit;text-decoration:none}
a{color:#1565c0}
.meta{color:#666;font-size:.9rem}
.terms a{margin-right:.5rem}
ul.listing{list-style:none;padding:0}
ul.listing li{margin:.6rem 0}
ul.listing .excerpt{display:block;color:#555;font-size:.9rem}
.post-body img{max-width:100%;height:auto}
footer{border-top:1px solid #ddd;margin-top:2rem;color:#888;font-size:.85rem}
</style>
</head>
<body>
<div class="wrapper">
<header class="site">
<p class="site-title"><a href="/">{{ site_title }}</a></p>
<p class="meta">{{ site_description }}</p>
</header>
<main>
<article class="post">
<h1 class="post-title">{{ page.title }}</h1>
<p class="meta"><time datetime="{{ page.iso_date }}">{{ page.date }}</time></p>
<p class="terms categories">分类：{% for name in page.categories %}<a href="/category/{{ name }}.html">{{ name }}</a>{% endfor %}</p>
<div class="post-body">
{{ content }}
</div>
<p class="terms tags">标签：{% for name in page.tags %}<a href="/tag/{{ name }}.html">{{ name }}</a>{% endfor %}</p>
</article>
</main>
<footer><p>{{ site_title }} · <a href="/">首页</a></p></footer>
</div>
</body>
</html>
"""


class RawLibraries:
    """PyYAML's C loader, markdown-it-py and Jinja2, called directly on one post's bytes."""

    def __init__(self) -> None:
        self.markdown = MarkdownIt("commonmark", {"html": True})
        self.template = jinja2.Environment(autoescape=True).from_string(REFERENCE_TEMPLATE)

    def render(self, raw: bytes) -> bytes:
        text = raw.decode("utf-8")
        _, front_text, body = text.split("---\n", 2)
        front: dict[str, Any] = yaml.load(front_text, Loader=yaml.CSafeLoader)
        content = Markup(self.markdown.render(body))
        page = {
            "title": front["title"],
            "date": str(front["date"]),
            "iso_date": str(front["date"]),
            "categories": str(front["categories"]).split(),
            "tags": str(front["tags"]).split(),
        }
        html = self.template.render(
            page=page,
            content=content,
            site_title="金融消息",
            site_description="金融新闻，上传即发布",
            absolute_url="https://finews.withounder.com/a/2022/01/01/post.html",
        )
        return html.encode("utf-8")


def _median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_render(project: Path, runs: int = 300, posts: int = 20) -> dict[str, Any]:
    """Median seconds of one post's parse + render by pressroom (parse_post and the post page)
    and by the raw libraries, over `runs` rounds each taking `posts` generated posts in turn;
    the two alternate round by round, so both see the same machine."""
    renderer = SiteRenderer.from_directory(project / "templates")
    layouts = renderer.post_layouts
    raw = RawLibraries()
    sources = [("posts/" + post.file_name, post.jekyll()) for post in corpus.generate(posts)]

    def ours() -> None:
        for key, text in sources:
            render_post(parse_post(key, text, renderer.config, layouts), renderer)

    def theirs() -> None:
        for _, text in sources:
            raw.render(text)

    ours()
    theirs()  # both warmed up: templates compiled, caches filled
    ours_times, theirs_times = [], []
    for _ in range(runs):
        ours_times.append(_median_seconds(ours, 1) / posts)
        theirs_times.append(_median_seconds(theirs, 1) / posts)
    key, text = sources[0]
    page = render_post(parse_post(key, text, renderer.config, layouts), renderer)
    return {
        "runs": runs,
        "seconds": statistics.median(ours_times),
        "reference_seconds": statistics.median(theirs_times),
        "page_bytes": len(page.body),
        "reference_page_bytes": len(raw.render(text)),
        "source_bytes": len(text),
    }


def render_profile(project: Path, rounds: int = 200, top: int = 12) -> str:
    """Where pressroom's parse + render of one post spends its time (cProfile, own time)."""
    import cProfile

    renderer = SiteRenderer.from_directory(project / "templates")
    layouts = renderer.post_layouts
    sources = [("posts/" + post.file_name, post.jekyll()) for post in corpus.generate(10)]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(rounds // 10):
        for key, text in sources:
            render_post(parse_post(key, text, renderer.config, layouts), renderer)
    profile.disable()
    return profile_text(profile, top, sort="tottime")
