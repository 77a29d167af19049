"""The decision on a small KB is sane: answers, clarifies, recommends, buys and stays quiet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Engine, calibrate, load_kb, make_encoder


@pytest.fixture(scope="module")
def engine(small_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.build(load_kb(small_kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))


def test_canonical_questions_are_answered(engine: Engine) -> None:
    hits = 0
    for fid, faq in engine.kb.faqs.items():
        u = engine.understand(faq.question)
        hits += u.kind == "faq" and u.faq_id == fid
    assert hits >= 0.9 * len(engine.kb.faqs)


@pytest.mark.parametrize("text", ["你好", "哈哈哈哈", "。。。", "明天北京会下雨吗", "帮我写一首关于秋天的诗",
                                  "asdfghjkl"])
def test_off_topic_falls_back(engine: Engine, text: str) -> None:
    u = engine.understand(text)
    assert u.kind in ("fallback", "clarify"), u
    assert not u.items and u.faq_id is None


@pytest.mark.parametrize("text", ["你是机器人吧 哈哈", "你是真人吗？", "您是不是机器人啊"])
def test_asking_whether_the_bot_is_a_person_is_small_talk(engine: Engine, text: str) -> None:
    u = engine.understand(text)
    assert u.kind == "fallback" and u.debug["why"] == "small talk", u


def test_asking_for_a_person_is_not_small_talk(engine: Engine) -> None:
    for text in ("有真人吗", "你是机器人吧 我要转人工", "机器人答非所问 找人工"):
        assert engine.understand(text).debug.get("why") != "small talk", text


def test_recommend_topic(engine: Engine) -> None:
    item = engine.kb.items["py-asyncio-intro"]
    u = engine.understand("有没有讲 asyncio 异步编程的文章")
    assert u.kind == "recommend" and u.topic
    assert "py-asyncio-intro" in [i for i, _ in u.items][:3]
    assert engine.search_items(item.title, k=1)[0][0] == item.id


def test_meaning_and_words_agree_on_an_item_only_when_both_point_to_it(engine: Engine) -> None:
    def agree(text: str) -> bool:
        return engine.item_scores(text, engine.encode_queries([text])[0])[2]

    title = engine.kb.items["py-asyncio-intro"].title
    assert agree(title)                             # its own title: nearest in meaning and best by words
    assert not agree("小区楼下的草坪黄了一大片")        # no word of it in the catalogue


def test_bare_request(engine: Engine) -> None:
    u = engine.understand("推荐点东西")
    assert u.kind == "recommend" and u.topic == "" and u.items == []


def test_request_for_missing_topic_has_no_items(engine: Engine) -> None:
    u = engine.understand("有没有教钢琴演奏的课")
    assert u.kind in ("recommend", "fallback") and u.items == []


def test_buy_by_title(engine: Engine) -> None:
    item = engine.kb.items["py-asyncio-intro"]
    u = engine.understand(f"购买《{item.title}》")
    assert u.kind == "buy" and u.items[0][0] == item.id
    assert engine.find_item_by_title("asyncio 入门") == item.id
    assert engine.find_item_by_title("完全无关的东西") is None


def test_buy_names_a_title_or_id_as_written_even_with_english_commerce_words(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    (kb_dir / "articles").mkdir(parents=True)
    src = sorted((Path(__file__).resolve().parents[2] / "knowledge" / "articles").glob("*.md"))[0]
    text = src.read_text(encoding="utf-8").split("\n")
    text[1], text[2] = "id: vip-course-guide", "title: VIP Course 完全指南"
    (kb_dir / "articles" / "guide.md").write_text("\n".join(text), encoding="utf-8")
    eng = Engine.build(load_kb(kb_dir), make_encoder(), tmp_path / "idx")
    for message in ("买 vip-course-guide", "购买《VIP Course 完全指南》"):
        u = eng.understand(message)
        assert u.kind == "buy" and u.items[0][0] == "vip-course-guide", message


def test_index_is_reused_and_rebuilt_on_change(kb_copy: Path, tmp_path: Path) -> None:
    kb_dir = kb_copy
    idx = tmp_path / "idx"
    enc = make_encoder()
    first = Engine.build(load_kb(kb_dir), enc, idx)
    stamp = (idx / "meta.json").stat().st_mtime_ns
    again = Engine.build(load_kb(kb_dir), enc, idx)
    assert (idx / "meta.json").stat().st_mtime_ns == stamp
    assert again.catalogue_words and again.catalogue_words == first.catalogue_words
    assert again.understand(again.kb.faqs[next(iter(again.kb.faqs))].question).kind == "faq"
    art = sorted((kb_dir / "articles").glob("*.md"))[0]
    art.write_text(art.read_text(encoding="utf-8").replace("title: ", "title: 新版 "), encoding="utf-8")
    Engine.build(load_kb(kb_dir), enc, idx)
    assert (idx / "meta.json").stat().st_mtime_ns != stamp


def test_index_is_recalibrated_when_the_off_topic_set_changes(kb_copy: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "idx"
    enc = make_encoder()
    first = Engine.build(load_kb(kb_copy), enc, idx)
    stamp = (idx / "meta.json").stat().st_mtime_ns
    fewer = calibrate.offtopic_messages()[:40]
    monkeypatch.setattr(calibrate, "offtopic_messages", lambda language="zh": fewer)
    again = Engine.build(load_kb(kb_copy), enc, idx)
    assert (idx / "meta.json").stat().st_mtime_ns != stamp
    assert len(again.negatives["zh"]["faq_top"]) < len(first.negatives["zh"]["faq_top"])


def test_tiny_kbs_work(tmp_path: Path) -> None:
    only_faq = tmp_path / "faq-only"
    (only_faq / "faq").mkdir(parents=True)
    (only_faq / "faq" / "a.yaml").write_text(
        "- id: refund\n  question: 怎么申请退款？\n  answer: 在订单页申请售后。\n", encoding="utf-8")
    eng = Engine.build(load_kb(only_faq), make_encoder(), tmp_path / "i1")
    assert eng.understand("怎么申请退款").kind == "faq"
    assert eng.understand("推荐点 python 的课").items == []
    assert eng.search_items("python") == []
    only_items = tmp_path / "items-only"
    (only_items / "articles").mkdir(parents=True)
    src = sorted((Path(__file__).resolve().parents[2] / "knowledge" / "articles").glob("*.md"))[0]
    (only_items / "articles" / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    eng = Engine.build(load_kb(only_items), make_encoder(), tmp_path / "i2")
    assert eng.understand("怎么申请退款").kind in ("fallback", "clarify", "recommend")
    title = next(iter(eng.kb.items.values())).title
    assert eng.understand(f"买 {title}").kind == "buy"


def test_wechat_emoticons_change_nothing_in_the_reading(engine: Engine) -> None:
    for faq in list(engine.kb.faqs.values())[:3]:
        plain = engine.understand(faq.question)
        for decorated in (f"{faq.question}[流泪][流泪]", f"[Facepalm]{faq.question}", f"{faq.question}/::<"):
            u = engine.understand(decorated)
            assert (u.kind, u.faq_id, u.scores) == (plain.kind, plain.faq_id, plain.scores), decorated


def test_a_repeated_question_is_not_encoded_again(engine: Engine) -> None:
    calls: list[list[str]] = []
    encoder = engine.encoder
    original = encoder.encode_queries

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original(texts)

    encoder.encode_queries = counting  # type: ignore[method-assign]
    try:
        first = engine.understand("会员的发票怎么开，急用")
        second = engine.understand("会员的发票怎么开，急用")
    finally:
        encoder.encode_queries = original  # type: ignore[method-assign]
    assert len(calls) == 1
    assert (first.kind, first.faq_id, first.candidates) == (second.kind, second.faq_id, second.candidates)


def test_items_near_the_best_match_move_up_and_the_best_keeps_its_score(engine: Engine) -> None:
    vecs = engine.item_index.reconstruct_n(0, engine.item_index.ntotal)
    near = vecs @ vecs[0]
    close, far = int(np.argsort(-near)[1]), int(np.argmin(near))
    ranked = [(0, 0.90), (far, 0.86), (close, 0.85)]
    moved = engine.near_the_best(ranked)
    assert moved[0][0] == 0 and moved[0][1] == pytest.approx(0.90, abs=1e-6)
    assert [i for i, _ in moved] == [0, close, far]
    assert dict(moved)[far] == pytest.approx(0.86 + engine.weights.item_neighbour * (float(near[far]) - 1.0))


def test_the_faq_gate_hears_whether_the_question_and_answer_view_agrees(engine: Engine) -> None:
    from index.decide import POLICY, faq_confidence
    from index.whiten import whitened

    leads = []
    for text in ("怎么退款", "会员多少钱", "积分能换什么", "发票怎么开"):
        vec = engine.encode_queries([text])[0]
        fused, _, _, lead = engine.faq_scores(text, vec)
        qa = engine.faq_views[1] @ whitened(vec, engine.faq_transform)     # the QA view as scored
        best = int(np.argmax(fused))
        assert lead == pytest.approx(float(qa[best] - np.delete(qa, best).max()), abs=1e-6)
        leads.append(lead)
    assert min(leads) < max(leads)
    assert faq_confidence(0.8, 0.75, -0.02, POLICY) < faq_confidence(0.8, 0.75, 0.02, POLICY)


def test_a_long_message_is_embedded_by_its_start(engine: Engine) -> None:
    from index.engine import QUERY_CHARS

    head = ("会员怎么退款" * QUERY_CHARS)[:QUERY_CHARS]
    long_vec, head_vec = engine.encode_queries([head + "，另外再说一句很长很长的题外话" * 100, head])
    assert np.allclose(long_vec, head_vec)
    assert engine.understand(head * 20).kind in ("faq", "clarify", "fallback", "recommend")


def test_a_service_request_gets_no_items_even_when_the_catalogue_is_near(engine: Engine) -> None:
    text = "能帮我写一份数据分析报告吗 付费也行"
    reading = engine.understand(text)
    assert reading.kind != "recommend" and not reading.items
    assert engine.understand("数据分析报告怎么写").kind == "recommend"


def test_a_request_for_a_topic_the_catalogue_never_mentions_gets_no_items(engine: Engine) -> None:
    missing = engine.understand("有教 iOS Swift 开发的文章吗")
    assert missing.kind == "recommend" and not missing.items
    assert missing.scores["topic_cov"] < engine.policy.request_topic_coverage
    carried = engine.understand("有没有讲 pandas 数据清洗的课")
    assert carried.kind == "recommend" and carried.items


def test_an_explicit_request_for_a_service_or_goods_gets_no_items(engine: Engine) -> None:
    for text in ("有没有线下的数据分析课", "有没有数据分析的纸质书 能寄到家吗"):
        reading = engine.understand(text)
        assert reading.kind == "recommend" and not reading.items, text
    assert engine.understand("有没有数据分析的课").items


def test_a_message_in_english_is_judged_against_english_off_topic_messages(engine: Engine) -> None:
    # the encoders score English against a Chinese KB lower, chit-chat and real questions alike
    assert engine.gates["en"]["faq"] < engine.gates["zh"]["faq"]
    assert engine.understand("how much is the membership").faq_id == "member-plans"
    assert engine.understand("how do I use a redeem code").faq_id == "redeem-code"
    for text in ("what's the weather like today", "tell me a joke", "how do I cook pasta"):
        reading = engine.understand(text)
        assert reading.kind == "fallback" and not reading.items, text


def test_an_english_request_gets_items_without_the_catalogue_using_its_words(engine: Engine) -> None:
    reading = engine.understand("any articles about pandas data cleaning?")
    assert reading.kind == "recommend" and reading.topic == "pandas data cleaning"
    assert "da-pandas-cleaning" in [i for i, _ in reading.items][:3]
    assert not engine.understand("do you sell protein powder").items
