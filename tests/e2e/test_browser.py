"""A reader's browser (the system's Chromium through Playwright) against `pressroom serve`."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from support.posts import (
    NEWEST_BODY,
    NEWEST_CATEGORY,
    NEWEST_PATH,
    NEWEST_TITLE,
    POST_NEWEST,
    START_POSTS,
)
from support.serve import Pressroom

NEW_TITLE = "厦门港夜间作业效率再提升 船舶在港时间缩短三小时"
BROKEN_POST = "2026-05-04-broken-quote.md"
BROKEN_TEXT = """---
layout: post
title: "港口负责人说"效率翻番"了"
date: 2026-05-04 10:00:00 +0800
categories: hangyun
tags: 端到端新闻
---
<p>这篇稿件的标题里有未转义的双引号。</p>
"""


def test_reader_follows_links_and_sees_changes_deletes_and_rejections(
    pressroom: Pressroom, page: Page, output_dir: Path
) -> None:
    # Given serve has published the three start posts, the newest being POST_NEWEST
    # When a reader opens the home page
    response = page.goto(pressroom.site + "/")
    # Then it is served, and the newest post heads the listing, in Chinese
    assert response is not None and response.status == 200
    expect(page).to_have_title("金融消息")
    newest = page.locator("ul.listing li a").first
    expect(newest).to_have_text(NEWEST_TITLE)
    expect(newest).to_be_visible()
    page.screenshot(path=output_dir / "1-home.png", full_page=True)

    # When they click the post's category in the home page's category list
    page.locator("nav.categories").get_by_role("link", name=NEWEST_CATEGORY, exact=True).click()
    # Then the category page shows its heading and lists the post
    expect(page).to_have_url(f"{pressroom.site}/category/{NEWEST_CATEGORY}.html")
    expect(page.locator("h1")).to_have_text(f"分类：{NEWEST_CATEGORY}")
    page.screenshot(path=output_dir / "2-category.png", full_page=True)

    # When they click the post's title
    page.locator("ul.listing").get_by_role("link", name=NEWEST_TITLE, exact=True).click()
    # Then the post page shows the Chinese title and the body
    expect(page).to_have_url(pressroom.site + NEWEST_PATH)
    expect(page.locator("h1")).to_have_text(NEWEST_TITLE)
    expect(page.locator(".post-body")).to_contain_text(NEWEST_BODY)
    expect(page.locator(".post-body")).to_be_visible()
    page.screenshot(path=output_dir / "3-post.png", full_page=True)

    # When an editor uploads a new version of the post with a new title
    pressroom.upload(POST_NEWEST, START_POSTS[POST_NEWEST].replace(NEWEST_TITLE, NEW_TITLE))
    response = page.reload()
    # Then the reloaded page shows the new title, and so does the home page
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(NEW_TITLE)
    page.screenshot(path=output_dir / "4-post-changed.png", full_page=True)
    home = pressroom.get("/")[2]
    assert NEW_TITLE in home and NEWEST_TITLE not in home

    # When the editor deletes the post and the reader reloads it
    pressroom.delete(POST_NEWEST)
    response = page.reload()
    # Then its URL answers 404 with the site's not-found page
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_contain_text("页面不存在")
    page.screenshot(path=output_dir / "5-post-deleted.png", full_page=True)
    # And the home page no longer lists it
    page.goto(pressroom.site + "/")
    expect(page.locator("ul.listing")).not_to_contain_text(NEW_TITLE)

    # When the editor uploads a post whose title has unescaped double quotes
    pressroom.upload(BROKEN_POST, BROKEN_TEXT)
    # Then the status endpoint lists it as rejected, naming the front matter
    rejected = {item["source_key"]: item for item in pressroom.status()["rejected"]}
    assert f"posts/{BROKEN_POST}" in rejected
    problems = rejected[f"posts/{BROKEN_POST}"]["problems"]
    assert any("front matter" in problem for problem in problems), problems
    # And `pressroom status` prints it with its problem
    result = pressroom.cli("status", "--site-url", pressroom.site)
    assert result.returncode == 0, result.stderr
    assert f"rejected posts/{BROKEN_POST}:" in result.stdout
    assert "front matter: title contains a double quote" in result.stdout
    report_key = f"reports/posts/{BROKEN_POST}.json"
    assert f"report: s3://{pressroom.source_bucket}/{report_key}" in result.stdout
    # And the private report object in the source bucket says which line and how to fix it
    report = json.loads(
        pressroom.s3.get_object(Bucket=pressroom.source_bucket, Key=report_key)["Body"].read()
    )
    assert report["problems"][0]["field"] == "front matter" and report["problems"][0]["hint"]
    # And the home page does not list it
    page.goto(pressroom.site + "/")
    expect(page.locator("ul.listing")).not_to_contain_text("效率翻番")
