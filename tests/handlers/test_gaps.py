"""What the KB could not answer: kept from the signed callback, reported to admins, picks become phrasings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from bot.cli import cli
from bot.logs import hash_openid
from bot.models import Unanswered, utcnow
from bot.wire import text_message
from handlers import gaps
from handlers.choice import NOT_IT_HEAD
from handlers.faq import CLARIFY_HEAD
from tests.bot.test_cli_broadcasts import environment

ADMIN = {"Authorization": "Bearer admin-secret"}
OFF_TOPIC = "今天天气怎么样"
# on the shipped KB this gets a clarifying list with course-materials first (gate - 0.008, items far below)
UNSURE = "ppt在哪下载"


def ask(wechat: Any, openid: str, text: str) -> str:
    status, reply, _ = wechat.send(text_message(openid, text))
    assert status == 200 and reply is not None
    return str(reply["Content"])


def rows(deps: Any) -> list[Unanswered]:
    with deps.sessions() as session:
        return list(session.scalars(select(Unanswered).order_by(Unanswered.id)))


def test_fallbacks_are_kept_under_a_pseudonym_and_grouped_by_wording(wechat: Any, deps: Any,
                                                                     database_url: str) -> None:
    ask(wechat, "o-gap-1", OFF_TOPIC)
    ask(wechat, "o-gap-1", "今天天氣怎麼樣？？")       # the same question once normalised
    ask(wechat, "o-gap-2", OFF_TOPIC + " 😅")
    ask(wechat, "o-gap-2", "谢谢老师")                  # thanks alone is not a gap
    ask(wechat, "o-gap-2", deps.knowledge.engine.kb.faqs["refund-how"].question)   # answered: not a gap
    kept = rows(deps)
    assert [r.reply for r in kept] == ["fallback"] * 3
    assert {r.asker for r in kept} == {hash_openid("o-gap-1"), hash_openid("o-gap-2")}
    assert all("o-gap" not in r.asker for r in kept)
    found = gaps.report(deps, deps.knowledge.engine.kb)
    assert found["messages"] == 3 and found["askers"] == 2
    assert found["by_reply"] == {"fallback": 3, "clarify": 0, "no_content": 0, "disputed": 0}
    assert found["unanswered"] == [{"text": OFF_TOPIC + " 😅", "count": 3, "askers": 2}]


def test_a_pick_from_a_clarifying_list_becomes_a_phrasing_to_add(wechat: Any, deps: Any, database_url: str) -> None:
    kb = deps.knowledge.engine.kb
    assert ask(wechat, "o-unsure", UNSURE).startswith(CLARIFY_HEAD)
    [kept] = rows(deps)
    assert kept.reply == "clarify" and kept.picked is None and len(kept.candidates) == 3
    unpicked = gaps.report(deps, kb)
    assert unpicked["unanswered"] == [{"text": UNSURE, "count": 1, "askers": 1}] and not unpicked["suggestions"]

    chosen = kept.candidates[1]
    assert kb.faqs[chosen].reply_text in ask(wechat, "o-unsure", "2")
    assert rows(deps)[0].picked == chosen
    found = gaps.report(deps, kb)
    assert found["unanswered"] == []
    [suggestion] = found["suggestions"]
    assert suggestion["faq_id"] == chosen and suggestion["phrasings"] == [UNSURE]
    assert suggestion["picked"] == 1 and suggestion["offered"] == 1
    path, line = suggestion["source"].rsplit(":", 1)
    entry_lines = (kb.root / path).read_text(encoding="utf-8").splitlines()
    assert f"id: {chosen}" in entry_lines[int(line) - 1]


def test_a_pick_later_than_the_list_lives_is_not_credited(wechat: Any, deps: Any) -> None:
    ask(wechat, "o-late", UNSURE)
    with deps.sessions.begin() as session:
        session.execute(update(Unanswered).values(created_at=utcnow() - timedelta(minutes=6)))
    gaps.resolve(deps, "o-late", rows(deps)[0].candidates[0])
    assert rows(deps)[0].picked is None


def test_a_request_for_content_the_catalogue_lacks_is_kept_with_its_topic(wechat: Any, deps: Any) -> None:
    content = ask(wechat, "o-want", "有没有考研数学的资料")
    assert deps.knowledge.engine.kb.account.no_content in content
    [kept] = rows(deps)
    assert kept.reply == "no_content" and "考研数学" in (kept.topic or "")
    assert gaps.report(deps, deps.knowledge.engine.kb)["content"][0]["count"] == 1


def test_old_records_are_pruned(wechat: Any, deps: Any) -> None:
    ask(wechat, "o-old", OFF_TOPIC)
    ask(wechat, "o-new", "asdfghjkl")
    with deps.sessions.begin() as session:
        session.execute(update(Unanswered).where(Unanswered.asker == hash_openid("o-old"))
                        .values(created_at=utcnow() - gaps.RETENTION - timedelta(hours=1)))
    assert gaps.prune(deps) == 1
    assert [r.asker for r in rows(deps)] == [hash_openid("o-new")]


def test_admin_route_needs_the_token_and_checks_its_numbers(client: Any, wechat: Any) -> None:
    ask(wechat, "o-admin", OFF_TOPIC)
    assert client.get("/admin/kb/gaps").status_code == 401
    assert client.get("/admin/kb/gaps?days=zero", headers=ADMIN).status_code == 400
    assert client.get("/admin/kb/gaps?days=400", headers=ADMIN).status_code == 400
    body = client.get("/admin/kb/gaps?days=7&top=5", headers=ADMIN).get_json()
    assert body["days"] == 7 and body["unanswered"][0]["text"] == OFF_TOPIC


def test_cli_prints_the_report_and_the_phrasings_as_yaml(wechat: Any, deps: Any, settings: Any) -> None:
    ask(wechat, "o-cli", UNSURE)
    ask(wechat, "o-cli", "1")
    ask(wechat, "o-cli", OFF_TOPIC)
    env = environment(settings)
    result = CliRunner().invoke(cli, ["kb", "gaps"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 messages" in result.output and OFF_TOPIC in result.output
    assert f'    - "{UNSURE}"' in result.output.splitlines()
    as_json = CliRunner().invoke(cli, ["kb", "gaps", "--json", "--days", "1"], env=env)
    assert json.loads(as_json.output)["suggestions"][0]["phrasings"] == [UNSURE]
    assert CliRunner().invoke(cli, ["kb", "gaps", "--days", "0"], env=env).exit_code == 2


def test_none_of_these_gets_the_fallback_and_forgets_the_list(wechat: Any, deps: Any) -> None:
    fallback = deps.knowledge.engine.kb.account.fallback
    assert ask(wechat, "o-none", UNSURE).startswith(CLARIFY_HEAD)
    assert ask(wechat, "o-none", "以上都不是") == fallback
    assert ask(wechat, "o-none", "1") == fallback          # the list is gone: a number picks nothing
    found = gaps.report(deps, deps.knowledge.engine.kb)
    assert [g["text"] for g in found["unanswered"]] == [UNSURE]     # a bare number is no gap
    assert ask(wechat, "o-fresh", "以上都不是") == fallback   # without a list too: never a list of guesses
    assert gaps.report(deps, deps.knowledge.engine.kb)["messages"] == 1


def test_a_pick_already_among_the_entry_phrasings_is_not_suggested_again(deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    entry = kb.faqs["refund-how"]
    for text in (entry.question + "？？", "买错了 钱能要回来吗"):
        gaps.record(deps, "o-known", text, "clarify", candidates=["refund-how", "refund-arrival"])
        gaps.resolve(deps, "o-known", "refund-how")
    [suggestion] = gaps.report(deps, kb)["suggestions"]
    assert suggestion["picked"] == 2 and suggestion["phrasings"] == ["买错了 钱能要回来吗"]


def test_not_it_after_an_answer_keeps_it_disputed_and_offers_the_entries_ranked_next(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    question = "怎么退款啊 买错了"
    reading = deps.knowledge.engine.understand(question)
    assert reading.kind == "faq" and reading.faq_id == "refund-how" and len(reading.candidates) == 3
    assert kb.faqs["refund-how"].reply_text in ask(wechat, "o-dispute", question)
    counted = REGISTRY.get_sample_value("kp_replies_total", {"kind": "not_it"}) or 0.0
    head, *listed, tail = ask(wechat, "o-dispute", "不是我想问的").splitlines()
    assert REGISTRY.get_sample_value("kp_replies_total", {"kind": "not_it"}) == counted + 1
    others = reading.candidates[1:]
    assert head == NOT_IT_HEAD and listed == [f"{n}. {kb.faqs[i].question}" for n, i in enumerate(others, 1)]
    assert ask(wechat, "o-dispute", "不对") == kb.account.fallback   # about that list: no more guesses
    [kept] = rows(deps)
    assert kept.reply == "disputed" and kept.text == question and kept.candidates == reading.candidates
    found = gaps.report(deps, kb)
    assert found["disputed"] == [{"faq_id": "refund-how", "question": kb.faqs["refund-how"].question,
                                  "source": kb.sources["refund-how"], "count": 1, "messages": [question]}]
    assert found["unanswered"] == [] and found["suggestions"] == [] and found["by_reply"]["disputed"] == 1


def test_a_pick_after_a_disputed_answer_becomes_a_phrasing_of_the_entry_picked(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    question = "怎么退款啊 买错了"
    ask(wechat, "o-repair", question)
    ask(wechat, "o-repair", "不对")
    second = deps.knowledge.engine.understand(question).candidates[2]
    assert kb.faqs[second].reply_text in ask(wechat, "o-repair", "2")
    [kept] = rows(deps)
    assert kept.picked == second
    found = gaps.report(deps, kb)
    assert [(s["faq_id"], s["picked"], s["offered"], s["phrasings"]) for s in found["suggestions"]] == [
        (second, 1, 1, [question])]
    assert [d["faq_id"] for d in found["disputed"]] == ["refund-how"]


def test_not_it_refers_to_whichever_came_last_the_answer_or_the_list(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    assert kb.faqs["refund-how"].reply_text in ask(wechat, "o-order", "怎么退款啊 买错了")
    assert ask(wechat, "o-order", UNSURE).startswith(CLARIFY_HEAD)
    ask(wechat, "o-order", "都不是")                            # about the list, not the answer before it
    assert [r.reply for r in rows(deps)] == ["clarify"]


def test_not_it_after_a_pick_withdraws_the_pick_instead_of_suggesting_it(wechat: Any, deps: Any) -> None:
    assert ask(wechat, "o-repick", UNSURE).startswith(CLARIFY_HEAD)
    ask(wechat, "o-repick", "1")
    assert rows(deps)[0].picked is not None
    assert ask(wechat, "o-repick", "不对") == deps.knowledge.engine.kb.account.fallback
    [kept] = rows(deps)
    assert kept.reply == "clarify" and kept.picked is None
    found = gaps.report(deps, deps.knowledge.engine.kb)
    assert found["suggestions"] == [] and found["disputed"] == []
    assert found["unanswered"] == [{"text": UNSURE, "count": 1, "askers": 1}]
