"""Account features the FAQ never mentions (points, closing the account, an affiliate scheme, a profile, other
platforms, submissions): no entry answers a question about one, however close its wording (index.intent.FEATURES)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index import Engine, load_kb, make_encoder
from index.decide import decide
from index.intent import content_request, features_of
from index.normalize import normalize
from tests.index.conftest import copy_kb

POINTS_ENTRY = """\
- id: points-mall
  question: 积分有什么用？
  similar: [积分能换什么]
  answer: 每读完一篇文章得 10 积分，在「我的-积分商城」可以兑换优惠券和周边礼品。
  tags: [积分]
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped FAQ plus one entry about points; it says nothing about other platforms or a profile."""
    kb_dir = copy_kb(tmp_path_factory.mktemp("features") / "kb", articles=0)
    Path(kb_dir, "faq", "points.yaml").write_text(POINTS_ENTRY, encoding="utf-8")
    return Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))


@pytest.mark.parametrize(("text", "feature"), [
    ("积分怎么兑换礼品", "points"),
    ("怎么注销账号 不想用了", "closing the account"), ("账号能注销吗", "closing the account"),
    ("帮你们推广课程有佣金吗", "affiliate"), ("有没有分销", "affiliate"), ("怎么修改头像和昵称", "profile"),
    ("你们的课程能在抖音上看吗", "other platforms"), ("B站有你们的视频吗", "other platforms"),
    ("我想给你们投稿", "submissions"),
])
def test_questions_about_a_feature_are_recognised(text: str, feature: str) -> None:
    assert feature in [f.name for f in features_of(normalize(text))]


@pytest.mark.parametrize("text", ["手机号注销了 账号绑的还是旧号 怎么改", "兑换码怎么用", "推荐给朋友有奖励吗",
                                  "怎么申请退款", "在小红书上看到你们的课 怎么买", "知乎上说这门课不好 能退吗",
                                  "我的昵称叫小鱼 买的课找不到了"])
def test_other_questions_are_about_no_feature(text: str) -> None:
    assert features_of(normalize(text)) == []


def test_the_features_an_faq_mentions_are_found(engine: Engine) -> None:
    assert "points" in engine.faq_features
    assert not {"other platforms", "profile", "submissions"} & engine.faq_features


@pytest.mark.parametrize("text", ["你们的课程能在抖音上看吗", "你们在小红书上也能买课吗", "昵称能改吗",
                                  "注销账号后买的课还在吗"])
def test_a_feature_the_faq_never_mentions_gets_no_answer(engine: Engine, text: str) -> None:
    norm = normalize(text)
    sig = engine.signals(norm)
    assert sig.unanswerable and engine.understand(text).kind != "faq"
    # without the check, an entry of similar wording would have answered it
    assert decide(engine, dataclasses.replace(sig, unanswerable=False), content_request(norm)).kind == "faq"


def test_an_answer_that_speaks_of_a_feature_as_a_question_would_makes_it_answerable(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # 「注销账号时，剩余的鱼币原路退回」 answers 「注销账号的话 剩下的鱼币怎么办」; 「提供账号昵称」 says nothing about
    # changing one's nickname
    entry = ("- id: coins-back\n  question: 鱼币余额能退吗？\n"
             "  answer: 充值鱼币不能提现；注销账号时，剩余的充值鱼币原路退回。\n")
    kb_dir = copy_kb(tmp_path_factory.mktemp("closing") / "kb", faq_files=1, articles=0)
    Path(kb_dir, "faq", "coins.yaml").write_text(entry, encoding="utf-8")
    with_closing = Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))
    assert "closing the account" in with_closing.faq_features
    assert "profile" not in with_closing.faq_features


def test_a_feature_the_faq_mentions_is_answered(engine: Engine) -> None:
    u = engine.understand("积分怎么兑换礼品")
    assert (u.kind, u.faq_id) == ("faq", "points-mall")
