"""Promotions as a mass send by tag: same admin API, one platform job, idempotent by clientmsgid."""

from __future__ import annotations

import time
from typing import Any

from bot.models import Broadcast, Subscriber
from bot.sandbox import SandboxClient
from handlers import broadcast_mass

AUTH = {"Authorization": "Bearer admin-secret"}


def test_mass_send_by_tag_reaches_the_tag_once(
    client: Any, deps: Any, sandbox: SandboxClient, worker: Any, wechat: Any
) -> None:
    tag = sandbox.seed_users(openids=["o-m1", "o-m2"], tags=["promo"])["tags"]["promo"]
    sandbox.seed_users(openids=["o-m3"])
    with deps.sessions.begin() as session:
        session.add_all([Subscriber(openid="o-m1", tags=[tag]), Subscriber(openid="o-m2", tags=[tag]),
                         Subscriber(openid="o-m3", tags=[])])
    response = client.post("/admin/broadcasts", headers=AUTH, json={
        "name": "双十二优惠", "kind": "mass", "data": {"text": "全部课程八折，仅限本周"}, "audience": {"tag": "promo"},
    })
    assert response.status_code == 201, response.get_json()
    broadcast_id = response.get_json()["id"]
    preview = client.post(f"/admin/broadcasts/{broadcast_id}/preview", json={"openids": ["o-m3"]}, headers=AUTH)
    assert preview.get_json()["results"]["o-m3"]["state"] == "sent"
    assert [m["kind"] for m in sandbox.messages("o-m3")] == ["mass_preview"]
    client.post(f"/admin/broadcasts/{broadcast_id}/start", headers=AUTH)
    worker()
    status = client.get(f"/admin/broadcasts/{broadcast_id}", headers=AUTH).get_json()
    assert status["state"] == "done" and status["msg_id"]
    assert sorted(m["openid"] for m in sandbox.messages(kind="mass")) == ["o-m1", "o-m2"]
    assert sandbox.messages("o-m1", kind="mass")[0]["text"] == "全部课程八折，仅限本周"
    with deps.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
    assert broadcast_mass.send(deps, broadcast)["msg_id"] == status["msg_id"]
    assert len(sandbox.messages(kind="mass")) == 2
    fields = {"ToUserName": "gh_sandbox000000", "FromUserName": "gh_sandbox000000", "MsgType": "event",
              "CreateTime": str(int(time.time())), "Event": "MASSSENDJOBFINISH", "MsgID": status["msg_id"],
              "Status": "send success", "TotalCount": "2", "FilterCount": "2", "SentCount": "2", "ErrorCount": "0"}
    assert wechat.send(fields)[0] == 200
    status = client.get(f"/admin/broadcasts/{broadcast_id}", headers=AUTH).get_json()
    assert (status["total"], status["sent"], status["failed"]) == (2, 2, 0)


def test_mass_send_only_goes_to_everyone_or_a_tag(client: Any, deps: Any) -> None:
    with deps.sessions.begin() as session:
        session.add(Subscriber(openid="o-x", tags=[]))
    response = client.post("/admin/broadcasts", headers=AUTH, json={
        "name": "x", "kind": "mass", "data": {"text": "hi"}, "audience": {"openids": ["o-x"]},
    })
    assert response.status_code == 422 and "mass" in response.get_json()["message"]
