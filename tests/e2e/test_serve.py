"""`pressroom serve` over plain HTTP, boto3 and the CLI: status, headers, publish, unpublish,
redrive and the watched folder."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import boto3

from pressroom_dev.stack import local_name
from support.aws import CREDENTIALS, REGION
from support.posts import START_POSTS, TAG
from support.processes import free_ports
from support.serve import Pressroom

NOT_FOUND_TEXT = "页面不存在"


def post_text(title: str, date: str, category: str, body: str) -> str:
    return f"""---
layout: post
title: "{title}"
date: {date} +0800
categories: {category}
tags: {TAG}
---
<p>{body}</p>

[返回首页](/)
"""


def write_atomically(path: Path, text: str) -> None:
    """Write next to `path` under a dot-name (which serve ignores), then rename over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def test_status_endpoint_and_status_command(pressroom: Pressroom) -> None:
    # Given a running serve that has processed everything
    assert pressroom.wait_idle() is not None
    # When the status endpoint is fetched
    status, headers, body = pressroom.get("/_pressroom/status")
    # Then it is uncached JSON naming the endpoints and the buckets
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    report = json.loads(body)
    assert report["idle"] is True
    assert report["queue"] == {
        "waiting": 0,
        "in_flight": 0,
        "dead_letters": 0,
        "failed_index_batches": 0,
    }
    assert report["stream"] == {"lag": 0}
    assert report["endpoints"] == {"site": pressroom.site + "/", "aws": pressroom.aws}
    assert report["buckets"] == {
        "source": local_name("pressroom", "SourceBucket"),
        "site": local_name("pressroom", "SiteBucket"),
    }
    assert report["published"] >= len(START_POSTS) - 1  # the browser test deletes one

    # When `pressroom status --wait --json` asks the same server
    result = pressroom.cli("status", "--site-url", pressroom.site, "--wait", "--json")
    # Then it exits 0 with the same report
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["buckets"] == report["buckets"]

    # When `pressroom status` asks a port where nothing listens
    (dead_port,) = free_ports(1)
    result = pressroom.cli("status", "--site-url", f"http://127.0.0.1:{dead_port}")
    # Then it says so in one line on stderr and exits 3 (cannot reach)
    assert result.returncode == 3
    assert result.stderr.startswith("pressroom status: pressroom serve is not answering on")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_pages_are_served_like_cloudfront(pressroom: Pressroom) -> None:
    # Given the start posts, which share a Chinese tag
    # When the tag page is fetched by its percent-encoded URL
    status, headers, body = pressroom.get(f"/tag/{quote(TAG)}.html")
    # Then it is an HTML listing page with the listing cache policy
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=60, s-maxage=300"
    assert f"<h1>标签：{TAG}</h1>" in body
    assert "首艘液化天然气加注船在厦门港完成首航" in body
    assert "人民币兑美元中间价小幅上调 报7.0188" in body

    # When a post page is fetched
    status, headers, body = pressroom.get("/jinrong/2026/05/01/cny-fixing.html")
    # Then it carries the post cache policy
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=300, s-maxage=86400"
    assert '<h1 class="post-title">人民币兑美元中间价小幅上调 报7.0188</h1>' in body

    # When / and /index.html are fetched
    # Then both are the home page
    home, index = pressroom.get("/"), pressroom.get("/index.html")
    assert home[0] == index[0] == 200
    assert home[2] == index[2]
    assert "<h1>最新消息</h1>" in home[2]

    # When a path that no page has is fetched
    status, headers, body = pressroom.get("/no/such/page.html")
    # Then the answer is 404 with the site's not-found page
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert NOT_FOUND_TEXT in body


def test_publish_and_unpublish_commands(pressroom: Pressroom, tmp_path: Path) -> None:
    # Given a good post and a post whose title has unescaped double quotes
    good = tmp_path / "2026-04-11-ferry-timetable.md"
    good.write_text(
        post_text("厦鼓轮渡启用夏季时刻表", "2026-04-11 08:00:00", "jiaotong", "轮渡夏季时刻表"),
        encoding="utf-8",
    )
    broken = tmp_path / "2026-04-12-broken.md"
    broken.write_text(
        post_text('他说"好"了', "2026-04-12 08:00:00", "jiaotong", "标题有误"), encoding="utf-8"
    )
    expected_url = f"{pressroom.site}/jiaotong/2026/04/11/ferry-timetable.html"
    target = ["--endpoint-url", pressroom.aws, "--site-url", pressroom.site]

    # When both are published with the command
    result = pressroom.cli("publish", str(good), str(broken), *target)
    # Then it prints the good post's URL, and the broken post's problem, and exits 1
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"posts/{good.name} -> {expected_url}" in result.stdout.splitlines()
    assert f"posts/{broken.name}: uploaded, but it will be rejected:" in result.stdout
    assert "title contains a double quote inside double quotes" in result.stdout
    # And once the system is idle, the page is there and the broken post is listed as rejected
    assert pressroom.wait_idle() is not None
    status, _, body = pressroom.get(expected_url.removeprefix(pressroom.site))
    assert status == 200
    assert "厦鼓轮渡启用夏季时刻表" in body
    rejected = [item["source_key"] for item in pressroom.last_status["rejected"]]
    assert f"posts/{broken.name}" in rejected

    # When both are unpublished by file name
    result = pressroom.cli("unpublish", good.name, f"posts/{broken.name}", *target)
    # Then the command names what it deleted, and once idle the page answers 404
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"posts/{good.name}: deleted; its pages will be taken down" in result.stdout
    assert f"posts/{broken.name}: deleted; its pages will be taken down" in result.stdout
    assert pressroom.wait_idle() is not None
    status, _, body = pressroom.get(expected_url.removeprefix(pressroom.site))
    assert status == 404
    assert NOT_FOUND_TEXT in body
    assert "厦鼓轮渡启用夏季时刻表" not in pressroom.get("/")[2]
    # And the deleted broken post is no longer listed as rejected
    rejected = [item["source_key"] for item in pressroom.last_status["rejected"]]
    assert f"posts/{broken.name}" not in rejected


def test_redrive_moves_dead_letters_back_and_they_are_processed(pressroom: Pressroom) -> None:
    # Given a post whose S3 notification ended in the dead-letter queue, never processed:
    # it is uploaded with the bucket's notifications switched off, and its event is put into
    # the dead-letter queue as S3 would have sent it
    s3, sqs = (
        pressroom.s3,
        boto3.client("sqs", endpoint_url=pressroom.aws, region_name=REGION, **CREDENTIALS),
    )
    bucket, key = pressroom.source_bucket, "posts/2026-04-13-tunnel-closure.md"
    text = post_text("海沧隧道夜间封闭施工", "2026-04-13 21:00:00", "jiaotong", "夜间封闭施工")
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
    notifications.pop("ResponseMetadata", None)
    assert notifications.get("QueueConfigurations")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        put = s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=notifications
        )
    event = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "e2e",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": len(text.encode("utf-8")),
                        "eTag": put["ETag"].strip('"'),
                        "versionId": put["VersionId"],
                        "sequencer": f"{time.time_ns():018X}",
                    },
                },
            }
        ]
    }
    dead_letters = sqs.get_queue_url(QueueName=local_name("pressroom", "IngestDeadLetterQueue"))[
        "QueueUrl"
    ]
    sqs.send_message(QueueUrl=dead_letters, MessageBody=json.dumps(event))
    assert pressroom.wait_idle() is not None
    path = "/jiaotong/2026/04/13/tunnel-closure.html"
    assert pressroom.get(path)[0] == 404
    assert pressroom.last_status["queue"]["dead_letters"] == 1

    # When the dead letters are redriven
    result = pressroom.cli("redrive", "--endpoint-url", pressroom.aws)
    # Then the command counts the message, and once idle the post is live
    assert result.returncode == 0, result.stdout + result.stderr
    assert "moved 1 messages from the dead-letter queue" in result.stdout
    assert pressroom.wait_idle() is not None
    status, _, body = pressroom.get(path)
    assert status == 200
    assert "海沧隧道夜间封闭施工" in body
    assert pressroom.last_status["queue"]["dead_letters"] == 0

    # Finally the post is removed again
    pressroom.delete(key.removeprefix("posts/"))
    assert pressroom.get(path)[0] == 404


def test_watched_folder_is_kept_in_sync(pressroom: Pressroom) -> None:
    # Given the folder serve watches
    post = pressroom.watch_dir / "2026-04-14-bridge-lights.md"
    path = "/jiaotong/2026/04/14/bridge-lights.html"
    first, second = "海沧大桥景观灯光提升完工", "海沧大桥景观灯光今晚起亮灯"
    assert pressroom.get(path)[0] == 404

    # When a new file appears in it
    write_atomically(post, post_text(first, "2026-04-14 19:00:00", "jiaotong", "灯光提升"))
    # Then its page is live within a few seconds
    elapsed = pressroom.wait_for(path, lambda status, body: status == 200 and first in body)
    assert elapsed is not None and elapsed < 10, elapsed

    # When the file is changed
    write_atomically(post, post_text(second, "2026-04-14 19:00:00", "jiaotong", "今晚亮灯"))
    # Then the page shows the new title within a few seconds
    elapsed = pressroom.wait_for(path, lambda status, body: status == 200 and second in body)
    assert elapsed is not None and elapsed < 10, elapsed

    # When the file is deleted
    post.unlink()
    # Then the page answers 404 within a few seconds, and the listings follow once idle
    elapsed = pressroom.wait_for(path, lambda status, body: status == 404)
    assert elapsed is not None and elapsed < 10, elapsed
    assert pressroom.wait_idle() is not None
    assert second not in pressroom.get(f"/tag/{quote(TAG)}.html")[2]
    synced = re.findall(r"^synced (\S+)$", pressroom.log.read_text(encoding="utf-8"), re.M)
    assert synced.count(f"posts/{post.name}") == 3, synced
