"""`python -m bot eval` scores replies read back from the signed callback, the same as the engine decides."""

from typing import Any

from bot.evalchat import callback_respond, http_respond
from bot.wire import Signer
from handlers import signals
from index.evaluate import engine_respond

QUERIES = [
    "支付宝能付款吗",                # an FAQ phrasing, colloquial
    "课程可以退款吗？",              # an FAQ near a sibling: answer or clarify
    "昨天买的那门python课今天找不到入口了",  # an FAQ answer with the course it names linked after it
    "推荐几篇 python 入门的文章",     # an explicit content request
    "有没有讲钢琴的课",              # content the catalogue does not carry
    "明天北京会下雨吗",              # off-topic
    "哈哈哈哈",                      # chit-chat
]


def _signer(settings: Any) -> Signer:
    return Signer(settings.wechat_token, settings.aes_key, settings.app_id)


def test_outcomes_read_from_replies_match_the_engine(app: Any, deps: Any, settings: Any) -> None:
    through_callback = callback_respond(app, _signer(settings))
    direct = engine_respond(deps.knowledge.engine)
    kinds = set()
    for text in QUERIES:
        got, want = through_callback(text), direct(text)
        assert (got.kind, got.faq_id, got.item_ids) == (want.kind, want.faq_id, want.item_ids), text
        if got.kind == "clarify":
            assert got.candidates == want.candidates[:3], text
        kinds.add(got.kind)
    assert {"faq", "items", "fallback"} <= kinds
    assert direct(QUERIES[2]).item_ids, "the answer-with-a-related-item case is no longer exercised"


def test_one_subscriber_sends_every_query_from_the_same_openid(app: Any, deps: Any, settings: Any) -> None:
    respond = callback_respond(app, _signer(settings), "o-eval-one")
    assert respond("推荐几篇 python 入门的文章").kind == "items"
    assert respond("有没有 pandas 数据清洗的课").kind == "items"
    asked = [event for event in signals.history(deps, "o-eval-one") if event[0] == "asked"]
    assert len(asked) == 2


def test_a_running_service_is_scored_over_http_like_in_process(app: Any, deps: Any, settings: Any, live: Any) -> None:
    over_http = http_respond(f"{live.url}/wechat", _signer(settings), deps.knowledge.engine.kb)
    in_process = callback_respond(app, _signer(settings))
    for text in QUERIES[:3]:
        got, want = over_http(text), in_process(text)
        assert (got.kind, got.faq_id, got.item_ids) == (want.kind, want.faq_id, want.item_ids), text
    wrong_token = Signer("not-the-token", settings.aes_key, settings.app_id)
    assert http_respond(f"{live.url}/wechat", wrong_token, deps.knowledge.engine.kb)(QUERIES[0]).kind == "fallback"
