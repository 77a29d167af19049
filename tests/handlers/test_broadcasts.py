"""Broadcasts through the admin API and RQ jobs against the sandbox: audiences, retries, pauses, once-only sends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select, update

from bot.models import Broadcast, Delivery, Entitlement, Signal, Subscriber, utcnow
from bot.sandbox import SandboxClient
from handlers import broadcast_flow
from handlers.broadcast_redis import Keys
from handlers.broadcast_send import WINDOW_MS, client_msg_id
from workers.runner import enqueue_delayed

AUTH = {"Authorization": "Bearer admin-secret"}
TEMPLATE = "TM-COURSE-UPDATE-DEMO"
COURSE = "career-growth-course"


def subscribers(deps: Any, openids: list[str], subscribed: bool = True, tags: list[int] | None = None) -> None:
    """Known subscribers in the database."""
    with deps.sessions.begin() as session:
        for openid in openids:
            session.merge(Subscriber(openid=openid, subscribed=subscribed, tags=tags or []))


def body(**changes: Any) -> dict[str, Any]:
    """A valid create request."""
    base: dict[str, Any] = {
        "name": "第 3 课更新",
        "template_id": TEMPLATE,
        "data": {"thing1": {"value": "第 3 课已上线"}, "time2": "12月1日"},
        "article_id": COURSE,
        "audience": {"all": True},
    }
    base.update(changes)
    return base


def create(client: Any, **changes: Any) -> int:
    response = client.post("/admin/broadcasts", json=body(**changes), headers=AUTH)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def followers(deps: Any, sandbox: SandboxClient, openids: list[str]) -> None:
    """Subscribers that both the platform and the database know."""
    sandbox.seed_users(openids=openids)
    subscribers(deps, openids)


def started(client: Any, **changes: Any) -> int:
    """A broadcast created and started through the admin API."""
    broadcast_id = create(client, **changes)
    assert client.post(f"/admin/broadcasts/{broadcast_id}/start", headers=AUTH).status_code == 200
    return broadcast_id


def state_of(client: Any, broadcast_id: int) -> dict[str, Any]:
    response = client.get(f"/admin/broadcasts/{broadcast_id}", headers=AUTH)
    assert response.status_code == 200
    return response.get_json()


def counts(sandbox: SandboxClient) -> dict[str, int]:
    return sandbox.summary(TEMPLATE)["counts"]


def test_the_admin_api_answers_every_refusal_in_json(client: Any) -> None:
    for response, status in ((client.get("/admin/broadcasts/abc", headers=AUTH), 404),
                             (client.get("/admin/broadcasts/1/start", headers=AUTH), 405),
                             (client.post("/admin/broadcasts", data="[" * 100_000 + "]" * 100_000,
                                          content_type="application/json", headers=AUTH), 400)):
        assert response.status_code == status and response.is_json and response.get_json()["message"]
    assert not client.get("/articles/no-such-item").is_json       # pages keep their HTML error page


def test_admin_routes_need_the_bearer_token(client: Any) -> None:
    assert client.post("/admin/broadcasts", json=body()).status_code == 401
    assert client.get("/admin/broadcasts/1", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "unknown field"),
        ({"name": None}, "name"),
        ({"data": {"thing1": {"value": "这一段模板内容明显超过了二十个字符的限制啊"}}}, "at most 20"),
        ({"article_id": "no-such-article"}, "no article"),
        ({"audience": {"openids": []}}, "audience is empty"),
        ({"audience": {"bought": COURSE}}, "audience is empty"),
        ({"audience": {}}, "audience"),
        ({"audience": {"interest": "烹饪"}}, "not a tag"),
        ({"schedule_at": "next tuesday"}, "schedule_at"),
        ({"schedule_at": "2020-01-01T00:00:00Z"}, "in the past"),
        ({"url": "https://example.com/x"}, "not both"),
        ({"url": "http:///path", "article_id": None}, "url"),
        ({"schedule_at": "9999-12-31T23:59:59+00:00"}, "days ahead"),
        ({"data": {"thing1": {"value": "新课上线", "color": ["red"]}}}, "colour"),
        ({"data": {f"thing{n}": "x" for n in range(40)}}, "at most 32"),
        ({"audience": {"tag": True}}, "tag"),
    ],
)
def test_bad_bodies_get_422_with_a_clear_message(client: Any, deps: Any, changes: dict[str, Any], message: str) -> None:
    subscribers(deps, ["o-someone"])
    request = body(**changes)
    if changes.get("name", "") is None:
        del request["name"]
    response = client.post("/admin/broadcasts", json=request, headers=AUTH)
    assert response.status_code == 422
    assert message in response.get_json()["message"]


def test_course_update_reaches_buyers_once_and_skips_who_left(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any, database_url: str
) -> None:
    buyers = [f"o-buyer-{i:03d}" for i in range(30)]
    others = [f"o-other-{i:03d}" for i in range(10)]
    sandbox.seed_users(openids=buyers + others)
    sandbox.unsubscribe(buyers[0])
    subscribers(deps, buyers + others)
    with deps.sessions.begin() as session:
        session.add_all(Entitlement(openid=o, item_id=COURSE) for o in buyers)
    broadcast_id = create(client, audience={"bought": COURSE})
    assert state_of(client, broadcast_id)["state"] == "draft"
    assert client.post(f"/admin/broadcasts/{broadcast_id}/start", headers=AUTH).status_code == 200
    worker()
    status = state_of(client, broadcast_id)
    assert status["state"] == "done"
    assert [status[k] for k in ("total", "sent", "skipped", "failed", "unknown")] == [30, 29, 1, 0, 0]
    assert counts(sandbox) == {o: 1 for o in buyers[1:]}
    message = sandbox.messages(buyers[1], kind="template")[0]
    assert message["url"] == f"{deps.settings.public_base_url}/articles/{COURSE}"
    assert message["data"]["time2"] == {"value": "12月1日"}
    with deps.sessions() as session:
        assert message["client_msg_id"] == client_msg_id(session.get(Broadcast, broadcast_id), buyers[1])
        assert session.get(Subscriber, buyers[0]).subscribed is False
        assert session.get(Delivery, (broadcast_id, buyers[0])).errcode == 43004


def test_audiences_by_tag_interest_and_list(client: Any, deps: Any, sandbox: SandboxClient, worker: Any) -> None:
    seeded = sandbox.seed_users(openids=["o-t1", "o-t2"], tags=["vip"])
    sandbox.seed_users(openids=["o-n1", "o-i1", "o-l1", "o-l2"])
    vip = seeded["tags"]["vip"]
    subscribers(deps, ["o-t1", "o-t2"], tags=[vip])
    subscribers(deps, ["o-n1", "o-i1", "o-l1", "o-l2"])
    with deps.sessions.begin() as session:
        session.add(Signal(openid="o-i1", kind="asked", tags=["职业规划"]))
    by_tag = create(client, audience={"tag": "vip"}, template_id="T-TAG")
    by_interest = create(client, audience={"interest": "职业规划"}, template_id="T-INTEREST")
    listed = create(client, audience={"openids": ["o-l1", "o-l2", "o-l1"]}, template_id="T-LIST")
    for broadcast_id in (by_tag, by_interest, listed):
        client.post(f"/admin/broadcasts/{broadcast_id}/start", headers=AUTH)
    worker()
    assert sandbox.summary("T-TAG")["counts"] == {"o-t1": 1, "o-t2": 1}
    assert sandbox.summary("T-INTEREST")["counts"] == {"o-i1": 1}
    assert sandbox.summary("T-LIST")["counts"] == {"o-l1": 1, "o-l2": 1}


def test_dropped_responses_and_errors_are_retried_without_duplicates(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any
) -> None:
    openids = [f"o-r-{i:03d}" for i in range(40)]
    followers(deps, sandbox, openids)
    sandbox.fault("/cgi-bin/message/template/send", drop=True, count=5)
    sandbox.fault("/cgi-bin/message/template/send", errcode=-1, count=10)
    broadcast_id = started(client)
    worker()
    status = state_of(client, broadcast_id)
    assert (status["state"], status["sent"], status["unknown"], status["failed"]) == ("done", 40, 0, 0)
    assert counts(sandbox) == {o: 1 for o in openids}
    calls = sandbox.calls("/cgi-bin/message/template/send")
    assert len(calls) == 50
    with deps.sessions() as session:
        assert session.scalar(select(Delivery.attempts).order_by(Delivery.attempts.desc()).limit(1)) >= 2


def test_a_send_lost_with_its_worker_is_retried_with_the_same_id_inside_the_window(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any
) -> None:
    followers(deps, sandbox, ["o-lost", "o-late"])
    broadcast_id = started(client)
    with deps.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
    deps.queue.empty()
    broadcast_flow.expand(deps, broadcast_id)
    deps.queue.empty()
    # A worker sent to o-lost and died before recording it; o-late's first attempt is older than the window.
    deps.wechat.template.send("o-lost", TEMPLATE, broadcast.data, broadcast.url, client_msg_id(broadcast, "o-lost"))
    now_ms = int(time.time() * 1000)
    keys = Keys(deps.prefix, broadcast_id)
    deps.redis.hset(keys.claims, mapping={"o-lost": now_ms - 60_000,
                                          "o-late": now_ms - WINDOW_MS - 1000})
    broadcast_flow.pump(deps, broadcast_id)
    worker()
    status = state_of(client, broadcast_id)
    assert (status["state"], status["sent"], status["unknown"]) == ("done", 1, 1)
    assert counts(sandbox) == {"o-lost": 1}


def test_quota_pauses_until_the_next_day_then_resumes(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any
) -> None:
    openids = [f"o-q-{i:03d}" for i in range(20)]
    followers(deps, sandbox, openids)
    sandbox.fault("/cgi-bin/message/template/send", errcode=45009, count=1)
    broadcast_id = started(client)
    worker()
    status = state_of(client, broadcast_id)
    assert status["state"] == "paused"
    assert "45009" in status["note"] and "quota" in status["note"]
    assert datetime.fromisoformat(status["paused_until"].rstrip("Z")) > utcnow()
    assert status["sent"] + status["pending"] == 20
    broadcast_flow.sweep(deps)
    assert state_of(client, broadcast_id)["state"] == "paused"
    with deps.sessions.begin() as session:
        session.execute(update(Broadcast).values(paused_until=utcnow() - timedelta(seconds=1)))
    assert broadcast_flow.sweep(deps)["resumed"] == [broadcast_id]
    worker()
    status = state_of(client, broadcast_id)
    assert (status["state"], status["sent"], status["unknown"]) == ("done", 20, 0)
    assert counts(sandbox) == {o: 1 for o in openids}


def test_preview_sends_only_to_test_subscribers(client: Any, deps: Any, sandbox: SandboxClient) -> None:
    followers(deps, sandbox, ["o-tester", "o-audience"])
    broadcast_id = create(client)
    for _ in range(2):
        response = client.post(f"/admin/broadcasts/{broadcast_id}/preview", json={"openids": ["o-tester"]},
                               headers=AUTH)
        assert response.status_code == 200
        assert response.get_json()["results"]["o-tester"]["state"] == "sent"
    assert counts(sandbox) == {"o-tester": 2}
    assert state_of(client, broadcast_id)["state"] == "draft"
    bad = client.post(f"/admin/broadcasts/{broadcast_id}/preview", json={"openids": []}, headers=AUTH)
    assert bad.status_code == 422


def test_cancel_stops_a_broadcast(client: Any, deps: Any, sandbox: SandboxClient, worker: Any) -> None:
    openids = [f"o-c-{i:03d}" for i in range(10)]
    followers(deps, sandbox, openids)
    broadcast_id = started(client)
    response = client.post(f"/admin/broadcasts/{broadcast_id}/cancel", headers=AUTH)
    assert response.get_json()["state"] == "cancelled"
    worker()
    assert state_of(client, broadcast_id)["state"] == "cancelled"
    assert counts(sandbox) == {}
    assert client.post(f"/admin/broadcasts/{broadcast_id}/start", headers=AUTH).status_code == 409
    assert client.get("/admin/broadcasts/999", headers=AUTH).status_code == 404
    for op in ("", "/start", "/cancel", "/preview"):       # beyond any database integer: 404, not a 500
        url = f"/admin/broadcasts/{2**64}{op}"
        response = (client.post(url, headers=AUTH, json={"openids": ["o-c-000"]}) if op
                    else client.get(url, headers=AUTH))
        assert response.status_code == 404, (op, response.data)


def test_schedule_at_starts_it_through_the_rq_scheduler(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any
) -> None:
    followers(deps, sandbox, ["o-s1"])
    when = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    broadcast_id = create(client, schedule_at=when)
    assert state_of(client, broadcast_id)["state"] == "scheduled"
    registry = ScheduledJobRegistry(queue=deps.queue)
    assert registry.get_job_ids() == [f"broadcast-{broadcast_id}-expand"]
    time.sleep(1.2)
    scheduler = RQScheduler([deps.queue], connection=deps.redis)
    enqueue_delayed(scheduler)          # what every worker's cron thread does each second
    scheduler.release_locks()
    worker()
    assert state_of(client, broadcast_id)["state"] == "done"
    assert counts(sandbox) == {"o-s1": 1}


def test_template_job_finished_events_record_the_final_status(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any, wechat: Any
) -> None:
    followers(deps, sandbox, ["o-f1", "o-f2"])
    broadcast_id = started(client)
    worker()
    with deps.sessions() as session:
        rows = {d.openid: d.msgid for d in session.scalars(select(Delivery))}
    for openid, status in (("o-f1", "success"), ("o-f2", "failed:user block")):
        fields = {"ToUserName": "gh_sandbox000000", "FromUserName": openid, "CreateTime": str(int(time.time())),
                  "MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": rows[openid], "Status": status}
        assert wechat.send(fields)[0] == 200
    assert broadcast_flow.sweep(deps)["statuses"] == 2
    with deps.sessions() as session:
        assert session.get(Delivery, (broadcast_id, "o-f2")).status == "failed:user block"
    assert state_of(client, broadcast_id)["delivered"] == 1


def test_an_expansion_lost_with_its_worker_is_restarted_by_the_sweep(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any
) -> None:
    followers(deps, sandbox, ["o-e1", "o-e2"])
    broadcast_id = started(client)
    deps.queue.empty()
    assert broadcast_flow.sweep(deps)["restarted"] == [broadcast_id]
    assert broadcast_flow.sweep(deps)["restarted"] == []
    worker()
    assert state_of(client, broadcast_id)["state"] == "done"
    assert counts(sandbox) == {"o-e1": 1, "o-e2": 1}
