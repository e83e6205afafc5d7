"""Post texts: a factory for one post's text, and the posts `pressroom serve` starts with in the
e2e tier."""

from __future__ import annotations

from collections.abc import Callable

PostFactory = Callable[..., str]


def post_text(
    title: str = "厦门港集装箱吞吐量创新高",
    date: str = "2026-03-20 16:12:47 +0800",
    categories: str = "xiamenribao",
    tags: str = "厦门日报新闻",
    body: str = "<p>记者从港口管理部门获悉，吞吐量同比增长。</p>",
    extra: str = "",
) -> str:
    lines = ["---", "layout: post", f'title: "{title}"', f"date: {date}"]
    if categories:
        lines.append(f"categories: {categories}")
    if tags:
        lines.append(f"tags: {tags}")
    if extra:
        lines.append(extra)
    return "\n".join([*lines, "---", body, ""])


# The posts `serve --posts` publishes at start. All three share the tag; POST_NEWEST is the
# newest post of the session (the other tests' posts are older), so it heads the home page.
TAG = "端到端新闻"
POST_NEWEST = "2026-05-03-harbour-night-shift.md"
NEWEST_TITLE = "厦门港夜间作业效率提升 集装箱船平均在港时间缩短"
NEWEST_BODY = "今年以来厦门港推行夜间集中作业模式"
NEWEST_CATEGORY = "hangyun"
NEWEST_PATH = "/hangyun/2026/05/03/harbour-night-shift.html"
START_POSTS = {
    POST_NEWEST: f"""---
layout: post
title: "{NEWEST_TITLE}"
date: 2026-05-03 09:30:00 +0800
categories: {NEWEST_CATEGORY}
tags: {TAG}
---
<p>记者从港口管理部门获悉，{NEWEST_BODY}，集装箱船平均在港时间缩短约三小时。</p>
<p>港口管理部门表示，下一步将扩大夜间作业的码头范围。</p><p class="em_media">（来源：厦门日报）</p>

<http://news.example.com/a/20260503/50001.html>

[返回航运新闻](/category/hangyun.html)｜[返回首页](/)
""",
    "2026-05-02-lng-bunkering.md": f"""---
layout: post
title: "首艘液化天然气加注船在厦门港完成首航"
date: 2026-05-02 14:00:00 +0800
categories: [hangyun, nengyuan]
tags: {TAG}
---
<p>首艘液化天然气加注船昨日在厦门港完成首航加注作业，单次加注量约五千立方米。</p>

<http://news.example.com/a/20260502/50002.html>

[返回首页](/)
""",
    "2026-05-01-cny-fixing.md": f"""---
layout: post
title: "人民币兑美元中间价小幅上调 报7.0188"
date: 2026-05-01 09:16:00 +0800
categories: jinrong
tags: {TAG}
---
<p>中国外汇交易中心数据显示，人民币对美元汇率中间价报7.0188，较前一交易日上调27个基点。</p>

<http://news.example.com/a/20260501/50003.html>

[返回首页](/)
""",
}
