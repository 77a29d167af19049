"""What a text message gets back: FAQ answers, clarifying lists, recommendations, buy links, the fallback."""

from __future__ import annotations

import re
import time
from typing import Any

from bot.models import Entitlement
from bot.wire import text_message

LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


def ask(wechat: Any, openid: str, text: str) -> str:
    status, reply, _ = wechat.send(text_message(openid, text), mode="safe")
    assert status == 200 and reply is not None and reply["MsgType"] == "text"
    return str(reply["Content"])


def trimmed(answer: str) -> str:
    return "\n".join(line.strip() for line in answer.strip().splitlines())


def test_canonical_question_gets_its_answer_verbatim(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    for entry in list(kb.faqs.values())[:5]:
        assert trimmed(entry.answer) in ask(wechat, "o-faq", entry.question)


def test_out_of_scope_gets_the_fallback_without_links(wechat: Any, deps: Any) -> None:
    fallback = deps.knowledge.engine.kb.account.fallback
    for text in ("今天天气怎么样", "你喜欢吃火锅吗", "asdfghjkl"):
        content = ask(wechat, "o-oos", text)
        assert content == fallback
        assert not LINK.search(content)


def test_recommendation_lists_item_links_best_first(wechat: Any, deps: Any, settings: Any) -> None:
    content = ask(wechat, "o-rec", "推荐点python的课")
    links = LINK.findall(content)
    assert 1 <= len(links) <= 5
    kb = deps.knowledge.engine.kb
    for url, title in links:
        match = re.match(re.escape(settings.public_base_url) + r"/articles/([a-z0-9-]+)(\?.*)?$", url)
        assert match and kb.items[match.group(1)].title == title
    assert [line[:2] for line in content.splitlines() if LINK.search(line)] == [f"{n}." for n in
                                                                                range(1, len(links) + 1)]


def test_bought_items_are_not_offered_again(wechat: Any, deps: Any) -> None:
    first = [url for url, _ in LINK.findall(ask(wechat, "o-owner", "推荐点python的课"))]
    owned = first[0].split("/articles/")[1].split("?")[0]
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid="o-owner", item_id=owned))
    again = [url.split("/articles/")[1].split("?")[0] for url, _ in
             LINK.findall(ask(wechat, "o-owner", "推荐点python的课"))]
    assert owned not in again


def test_number_after_recommendation_offers_that_item(wechat: Any, deps: Any) -> None:
    links = LINK.findall(ask(wechat, "o-num", "推荐点python的课"))
    second_title = links[1][1]
    content = ask(wechat, "o-num", "2")
    assert second_title in content
    assert LINK.search(content)


def test_number_after_clarify_answers_that_entry(wechat: Any, deps: Any) -> None:
    from handlers.faq import CLARIFY_HEAD, clarify

    kb = deps.knowledge.engine.kb
    ids = list(kb.faqs)[:3]
    reply = clarify(deps, "o-clarify", ids)
    lines = reply.text.splitlines()
    assert lines[0] == CLARIFY_HEAD
    for n, faq_id in enumerate(ids, start=1):
        assert lines[n].startswith(str(n)) and kb.faqs[faq_id].question in lines[n]
    assert trimmed(kb.faqs[ids[2]].answer) in ask(wechat, "o-clarify", "3")


def test_a_pick_from_a_list_may_be_said_the_way_people_say_it(wechat: Any, deps: Any) -> None:
    from handlers.faq import clarify

    kb = deps.knowledge.engine.kb
    ids = list(kb.faqs)[:3]
    for text, n in (("第二个", 1), ("选3", 2), ("要第1条", 0), ("2吧", 1), ("①", 0), ("第 三 个", 2)):
        clarify(deps, "o-pick", ids)
        assert trimmed(kb.faqs[ids[n]].answer) in ask(wechat, "o-pick", text), text


def test_buy_by_title_gives_the_link_or_owned(wechat: Any, deps: Any, settings: Any) -> None:
    kb = deps.knowledge.engine.kb
    item = next(iter(kb.items.values()))
    content = ask(wechat, "o-buy", f"购买 {item.title}")
    assert f"{settings.public_base_url}/articles/{item.id}" in content
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid="o-buy", item_id=item.id))
    assert "已购" in ask(wechat, "o-buy", f"买 {item.title}")


def test_a_wish_to_buy_a_course_named_by_its_topic_lists_those_courses_or_says_none(wechat: Any,
                                                                                     deps: Any) -> None:
    # 「买 sql 课」 names no title: it gets the SQL courses to pick from, not an answer about buying
    kb = deps.knowledge.engine.kb
    for text in ("买 sql 课", "我想买 SQL 的课"):
        content = ask(wechat, "o-wish", text)
        ids = [url.split("/articles/")[1].split("?")[0] for url, _ in LINK.findall(content)]
        assert ids and "sql" in kb.items[ids[0]].title.lower(), (text, content)
        assert not any(trimmed(entry.answer) in content for entry in kb.faqs.values()), text
    # a course the catalogue does not carry: said so, no links
    content = ask(wechat, "o-wish", "我想买钢琴课")
    assert content.startswith(kb.account.no_content) and not LINK.search(content)


def test_a_one_word_topic_several_entries_share_asks_which_question(wechat: Any, deps: Any) -> None:
    from handlers.faq import CLARIFY_HEAD

    kb = deps.knowledge.engine.kb
    content = ask(wechat, "o-one-word", "发票")
    assert content.startswith(CLARIFY_HEAD), content
    for entry in ("invoice-personal", "invoice-company-special"):
        assert kb.faqs[entry].question in content
    assert trimmed(kb.faqs["redeem-code"].answer) in ask(wechat, "o-one-word", "兑换码")


def test_menu_recommend_click_uses_the_profile(wechat: Any) -> None:
    from bot.wire import event_message

    status, reply, _ = wechat.send(event_message("o-menu", "CLICK", key="RECOMMEND"))
    assert status == 200 and reply is not None
    assert LINK.search(str(reply["Content"]))


def click(wechat: Any, openid: str, key: str, created: int = 0) -> str:
    """A menu click; a second click in the same second would be a retry of the first (created tells them apart)."""
    from bot.wire import event_message

    fields = {**event_message(openid, "CLICK", key=key), "CreateTime": int(time.time()) + created}
    status, reply, _ = wechat.send(fields)
    assert status == 200 and reply is not None and reply["MsgType"] == "text"
    return str(reply["Content"])


def test_menu_purchases_click_lists_what_was_bought_and_a_number_opens_it(wechat: Any, deps: Any) -> None:
    from handlers.menu import NOTHING_BOUGHT

    assert click(wechat, "o-shelf", "MY_PURCHASES") == NOTHING_BOUGHT
    kb = deps.knowledge.engine.kb
    owned = list(kb.items)[:2]
    with deps.sessions.begin() as session:
        session.add_all(Entitlement(openid="o-shelf", item_id=i) for i in owned)
    listed = LINK.findall(click(wechat, "o-shelf", "MY_PURCHASES", created=1))
    assert [title for _, title in listed] == [kb.items[i].title for i in owned]
    assert all(f"/articles/{i}?t=" in url for (url, _), i in zip(listed, owned, strict=True))
    assert "已购" in ask(wechat, "o-shelf", "2") and f"/articles/{owned[1]}" in ask(wechat, "o-shelf", "2")


def test_menu_help_click_lists_common_questions_that_a_number_answers(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    lines = click(wechat, "o-help", "HELP").splitlines()[1:]
    assert 3 <= len(lines) <= 9 and all(line.startswith(f"{n}. ") for n, line in enumerate(lines, 1))
    first = lines[0].split(". ", 1)[1]
    entry = next(e for e in kb.faqs.values() if e.question == first)
    assert trimmed(entry.answer) in ask(wechat, "o-help", "1")
    files = {kb.sources[e.id].split(":")[0] for e in kb.faqs.values() if e.question in "\n".join(lines)}
    assert len(files) == len({s.split(":")[0] for s in kb.sources.values()})   # every FAQ file has a say


def test_menu_click_on_another_key_reads_the_button_name(wechat: Any, deps: Any) -> None:
    account = deps.knowledge.engine.kb.account
    names = {b.get("key"): b["name"] for top in account.menu["button"] for b in [top, *top.get("sub_button", [])]}
    assert "MEMBERSHIP" in names            # 会员中心 in the shipped account.yaml
    reply = click(wechat, "o-named", "MEMBERSHIP")
    assert reply != account.fallback and ("会员" in reply)
    assert click(wechat, "o-named", "NO_SUCH_KEY", created=1) == account.fallback


def test_a_topic_the_catalogue_lacks_gets_no_links_and_the_fallback_text(deps: Any) -> None:
    from handlers.recommend import recommend

    reply = recommend(deps, "o-none", [], "量子物理")
    account = deps.knowledge.engine.kb.account
    assert reply.text.startswith(account.no_content) and account.fallback in reply.text
    assert not LINK.search(reply.text)


def test_an_answer_about_a_course_links_that_course_alone_after_the_answer(wechat: Any, deps: Any,
                                                                            settings: Any) -> None:
    from handlers.faq import RELATED

    text = "昨天买的那门python课今天找不到入口了"
    reading = deps.knowledge.engine.understand(text)
    assert reading.kind == "faq" and len(reading.items) == 1
    entry, item_id = deps.knowledge.engine.kb.faqs[reading.faq_id], reading.items[0][0]
    content = ask(wechat, "o-related", text)
    answer, _, line = content.rpartition("\n")
    assert answer == trimmed(entry.answer)
    assert line.startswith(RELATED) and "已购" not in line
    assert LINK.findall(line)[0][0].startswith(f"{settings.public_base_url}/articles/{item_id}?t=")
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid="o-related", item_id=item_id))
    assert ask(wechat, "o-related", text).endswith("（已购）")


def test_related_items_share_one_line_best_first_with_price_or_owned(deps: Any, settings: Any) -> None:
    from handlers.common import price_text
    from handlers.faq import RELATED, answer

    kb = deps.knowledge.engine.kb
    entry_id, entry = next(iter(kb.faqs.items()))
    ids = list(kb.items)[:3]
    with deps.sessions.begin() as session:
        session.add(Entitlement(openid="o-related3", item_id=ids[1]))
    reply = answer(deps, entry_id, "o-related3", ids)
    text, _, line = reply.text.rpartition("\n")
    assert text == trimmed(entry.answer) and line.startswith(RELATED) and reply.meta["item_ids"] == ids
    assert [url.split("/articles/")[1].split("?")[0] for url, _ in LINK.findall(line)] == ids
    parts = line.removeprefix(RELATED).split("、")
    assert parts[0].endswith(price_text(kb.items[ids[0]].price_fen)) and parts[1].endswith("（已购）")
    assert parts[2].endswith(price_text(kb.items[ids[2]].price_fen))


def test_related_links_stop_where_the_reply_would_exceed_the_platform_text_limit(deps: Any,
                                                                                 monkeypatch: Any) -> None:
    import handlers.faq
    from bot.replies import TEXT_MAX_BYTES

    kb = deps.knowledge.engine.kb
    entry_id, entry = max(kb.faqs.items(), key=lambda kv: len(kv[1].answer))
    ids = list(kb.items)[:3]
    full = handlers.faq.answer(deps, entry_id, "o-limit", ids).text
    assert len(full.encode()) <= TEXT_MAX_BYTES
    three_links = len(full.encode()) - len(trimmed(entry.answer).encode())   # room for half of them: one fits
    monkeypatch.setattr(handlers.faq, "TEXT_MAX_BYTES", len(trimmed(entry.answer).encode()) + three_links // 2)
    reply = handlers.faq.answer(deps, entry_id, "o-limit", ids)
    assert len(reply.text.encode()) <= handlers.faq.TEXT_MAX_BYTES and reply.meta["item_ids"] == ids[:1]
    monkeypatch.setattr(handlers.faq, "TEXT_MAX_BYTES", len(trimmed(entry.answer).encode()) + 10)
    assert handlers.faq.answer(deps, entry_id, "o-limit", ids).text == trimmed(entry.answer)


def test_a_plain_policy_question_gets_the_answer_alone(wechat: Any, deps: Any) -> None:
    kb = deps.knowledge.engine.kb
    entry = next(f for f in kb.faqs.values() if not deps.knowledge.engine.understand(f.question).items)
    assert ask(wechat, "o-plain", entry.question) == trimmed(entry.answer)
