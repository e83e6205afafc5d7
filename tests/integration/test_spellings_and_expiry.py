"""File names in two Unicode spellings (NFC and NFD) are one post, and a version that no longer
exists (expired by the source bucket's lifecycle rule, or deleted by version) never stops a
rebuild, a reconcile or a late event."""

from __future__ import annotations

import unicodedata

from support.harness import Harness
from support.posts import PostFactory

NAME = "2026-03-20-café.md"
NFC = unicodedata.normalize("NFC", NAME)
NFD = unicodedata.normalize("NFD", NAME)
PAGE = unicodedata.normalize("NFC", "xiamenribao/2026/03/20/café.html")
SHOWN_NFC = f"posts/{NFC} (é as U+00E9)"
SHOWN_NFD = f"posts/{NFD} (é as e + U+0301)"
BROKEN = '---\ntitle: "港口"创新"高"\ndate: 2026-03-20 16:12:47 +0800\n---\n<p>正文</p>\n'


def later(local: Harness, name: str, text: str) -> str:
    """Upload after the second of the previous upload: S3's LastModified is to the second."""
    return local.upload_a_second_later(name, text)


def page(local: Harness) -> str:
    return local.site().get(PAGE, b"").decode()


def test_a_correction_uploaded_in_the_other_spelling_replaces_the_post(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a post uploaded as NFC, when its correction is uploaded from macOS (NFD), then the
    correction is live, as one post under the NFC key, not rejected, and its warning names
    both spellings with their code points and which one is live."""
    local.upload(NFC, post_text(title="第一版"))
    local.drain()
    later(local, NFD, post_text(title="第二版"))
    local.drain()

    state = local.state(NFC)
    assert "第二版" in page(local) and "第一版" not in page(local)
    assert state.rejection is None and state.record is not None and state.record.live
    assert local.repository.load(f"posts/{NFD}").record is None  # one post, not two
    (warning,) = [w for w in state.record.warnings if "Unicode" in w]
    assert SHOWN_NFC in warning and SHOWN_NFD in warning
    assert f"the one uploaded last is the post: {SHOWN_NFD}" in warning
    assert f"delete {SHOWN_NFC}" in warning
    reports = local.s3.list_objects_v2(Bucket=local.settings.source_bucket, Prefix="reports/")
    assert reports.get("Contents", []) == []


def test_the_spelling_uploaded_last_wins_in_either_order_and_deletes_keep_the_other(
    local: Harness, post_text: PostFactory
) -> None:
    """Given NFD first and NFC second, the NFC text is live; deleting the NFC spelling keeps
    the post with the NFD text (its warning gone); deleting the NFD spelling too takes it
    down."""
    local.upload(NFD, post_text(title="第一版"))
    local.drain()
    assert "第一版" in page(local)
    later(local, NFC, post_text(title="第二版"))
    local.drain()
    assert "第二版" in page(local)

    local.delete(NFC)
    local.drain()
    record = local.state(NFC).record
    assert "第一版" in page(local) and record is not None and record.live
    assert not any("Unicode" in w for w in record.warnings)

    local.delete(NFD)
    local.drain()
    assert PAGE not in local.site() and "category/xiamenribao.html" not in local.site()


def test_late_and_reordered_events_of_either_spelling_change_nothing(
    local: Harness, post_text: PostFactory
) -> None:
    """Given both spellings' notifications held back, when they arrive newest first and then
    again as duplicates, the spelling uploaded last stays live."""
    local.upload(NFC, post_text(title="第一版"))
    (first,) = local.take_messages()
    later(local, NFD, post_text(title="第二版"))
    (second,) = local.take_messages()

    assert local.deliver(second) == {"batchItemFailures": []}
    assert local.deliver(first) == {"batchItemFailures": []}
    assert local.deliver(first, second) == {"batchItemFailures": []}

    assert "第二版" in page(local) and local.state(NFC).rejection is None


def test_an_invalid_upload_in_the_other_spelling_is_rejected_and_the_live_version_stays(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a live NFC post, when a broken file is uploaded as NFD, then it is rejected with
    the problem and the spellings named, and the NFC text stays live."""
    local.upload(NFC, post_text(title="第一版"))
    local.drain()
    later(local, NFD, BROKEN)
    local.drain()

    state = local.state(NFC)
    assert "第一版" in page(local)
    assert state.rejection is not None and SHOWN_NFD in state.rejection.message
    assert {p.field for p in state.rejection.problems} == {"front matter", "file name"}


def test_reconcile_resolves_both_spellings_whose_notifications_were_lost(
    local: Harness, post_text: PostFactory
) -> None:
    local.upload(NFC, post_text(title="第一版"))
    later(local, NFD, post_text(title="第二版"))
    local.take_messages()

    report = local.pipeline.rebuilder().reconcile()
    local.drain()

    assert report.republished == [f"posts/{NFC}"] and report.skipped == []
    assert "第二版" in page(local)
    again = local.pipeline.rebuilder().reconcile()
    assert again.republished == [] and again.removed == []


# -- versions that no longer exist ----------------------------------------------------------

PORT = "2026-03-20-port.md"
PORT_PAGE = "xiamenribao/2026/03/20/port.html"


def expire(local: Harness, name: str, version: str) -> None:
    """What the lifecycle rule does to a noncurrent version."""
    local.s3.delete_object(
        Bucket=local.settings.source_bucket, Key=f"posts/{name}", VersionId=version
    )


def live_then_rejected(local: Harness, post_text: PostFactory) -> str:
    """A live post whose newest upload was rejected, its live version expired; its id."""
    first = local.upload(PORT, post_text(title="第一版"))
    local.upload("2026-03-21-bank.md", post_text(title="银行", categories="cailianshe"))
    local.drain()
    local.upload(PORT, BROKEN)
    local.drain()
    assert "第一版" in local.site()[PORT_PAGE].decode()
    expire(local, PORT, first)
    return first


def test_rebuild_goes_on_past_an_expired_version_and_takes_the_post_down(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a live post whose newest upload was rejected and whose live version expired,
    when the Rebuild function runs, then it does not abort: the post is taken down (a build
    of the bucket has no valid version of it), its rejection and report stay, and the
    report lists what was skipped, with the reason."""
    first = live_then_rejected(local, post_text)

    result = local.invoke("RebuildFunction", {"mode": "rebuild"})
    local.drain()

    (skipped,) = result["skipped"]
    assert skipped["key"] == f"posts/{PORT}"
    assert first in skipped["reason"] and "taken down" in skipped["reason"]
    site = local.site()
    home = site["index.html"].decode()
    assert PORT_PAGE not in site and "/xiamenribao/2026/03/20/port" not in home
    assert "category/xiamenribao.html" not in site and "cailianshe" in home
    state = local.state(PORT)
    assert state.record is not None and state.record.status == "deleted"
    assert state.rejection is not None
    reports = local.s3.list_objects_v2(Bucket=local.settings.source_bucket, Prefix="reports/")
    assert [item["Key"] for item in reports.get("Contents", [])] == [f"reports/posts/{PORT}.json"]
    # And a second rebuild finds nothing more to skip; a corrected upload publishes it again
    assert local.pipeline.rebuilder().rebuild().skipped == []
    local.upload(PORT, post_text(title="第三版"))
    local.drain()
    assert "第三版" in local.site()[PORT_PAGE].decode() and local.state(PORT).rejection is None


def test_the_daily_reconcile_finds_an_expired_live_version(
    local: Harness, post_text: PostFactory
) -> None:
    live_then_rejected(local, post_text)

    report = local.pipeline.rebuilder().reconcile()
    local.drain()

    assert [s.key for s in report.skipped] == [f"posts/{PORT}"]
    assert PORT_PAGE not in local.site()


def test_late_events_naming_an_expired_version_are_handled_not_dead_lettered(
    local: Harness, post_text: PostFactory
) -> None:
    """Given held-back notifications of a post's versions, the live one expired, when they
    arrive late (the expired version's, then the rejected one's), then each is handled: no
    batch item fails, and the site shows what a build of the bucket shows (no page)."""
    first = local.upload(PORT, post_text(title="第一版"))
    (created,) = local.take_messages()
    local.deliver(created)
    local.upload(PORT, BROKEN)
    (broken,) = local.take_messages()
    local.deliver(broken)
    expire(local, PORT, first)

    assert local.deliver(created) == {"batchItemFailures": []}
    assert local.deliver(broken) == {"batchItemFailures": []}
    assert local.deliver(created, broken) == {"batchItemFailures": []}
    assert PORT_PAGE not in local.site() and local.state(PORT).rejection is not None


def test_an_expired_version_with_a_valid_current_one_shows_the_current(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a live post whose version was deleted by version id while a newer valid version
    is current and its notification was lost, when a late duplicate of the deleted version's
    event arrives, then it is handled by publishing the current version."""
    first = local.upload(PORT, post_text(title="第一版"))
    (created,) = local.take_messages()
    local.deliver(created)
    local.upload(PORT, post_text(title="第二版"))
    local.take_messages()
    expire(local, PORT, first)

    assert local.deliver(created) == {"batchItemFailures": []}

    assert "第二版" in local.site()[PORT_PAGE].decode()
    record = local.state(PORT).record
    assert record is not None and record.live and record.source_version != first


def test_a_delete_then_a_broken_upload_keep_the_post_down_in_any_order(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a live post, deleted, then uploaded again broken, when the three notifications
    arrive in every order (the newest first among them), then the post stays down, as a build
    of the bucket has it: a broken upload keeps only a version made since the last delete."""
    local.upload(PORT, post_text(title="第一版"))
    (created,) = local.take_messages()
    local.delete(PORT)
    (deleted,) = local.take_messages()
    local.upload(PORT, BROKEN)
    (broken,) = local.take_messages()

    for order in ((broken, created, deleted), (created, broken, deleted), (deleted, created)):
        assert local.deliver(*order) == {"batchItemFailures": []}
        assert PORT_PAGE not in local.site()
        state = local.state(PORT)
        assert state.rejection is not None
        assert state.record is None or not state.record.live
