"""`users sync`: every follower page from the platform, details in batches of 100, and who left marked."""

from __future__ import annotations

from typing import Any

from bot.models import Subscriber
from bot.sandbox import SandboxClient
from handlers.subscribers import sync


def test_sync_pages_followers_fills_details_and_marks_who_left(
    deps: Any, sandbox: SandboxClient, database_url: str
) -> None:
    tagged = sandbox.seed_users(openids=["o-vip-1", "o-vip-2"], tags=["vip"])
    sandbox.seed_users(10_050, prefix="oSYNC")
    sandbox.seed_users(openids=["o-left-recently"])
    sandbox.unsubscribe("o-left-recently")
    with deps.sessions.begin() as session:
        session.add(Subscriber(openid="o-gone", subscribed=True, tags=[]))
        session.add(Subscriber(openid="o-left-recently", subscribed=True, tags=[]))
        session.add(Subscriber(openid="o-vip-1", subscribed=False, tags=[]))
    seen: list[tuple[int, int]] = []
    result = sync(deps, progress=lambda done, total: seen.append((done, total)))
    assert (result.followers, result.pages, result.left) == (10_052, 2, 2)
    assert seen[-1] == (10_052, 10_052)
    pages = sandbox.calls("/cgi-bin/user/get")
    assert [c["query"].get("next_openid", "") for c in pages][0] == ""
    batches = sandbox.calls("/cgi-bin/user/info/batchget")
    assert len(batches) == 101 and max(len(c["body"]["user_list"]) for c in batches) == 100
    with deps.sessions() as session:
        assert session.get(Subscriber, "o-gone").subscribed is False
        assert session.get(Subscriber, "o-left-recently").subscribed is False
        vip = session.get(Subscriber, "o-vip-1")
        assert vip.subscribed is True and vip.tags == [tagged["tags"]["vip"]] and vip.synced_at is not None
        assert session.query(Subscriber).filter(Subscriber.subscribed.is_(True)).count() == 10_052
    assert sync(deps).left == 0
