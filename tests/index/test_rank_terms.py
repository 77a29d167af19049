"""Ranking terms for the kind of message: refusals favour refusal entries, where-questions where-entries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index import Engine, load_kb, make_encoder
from index.decide import decide
from index.intent import content_request, is_denial
from index.normalize import normalize
from tests.index.conftest import copy_kb


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    kb_dir = copy_kb(tmp_path_factory.mktemp("rank-terms") / "kb", articles=0)
    return Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))


@pytest.mark.parametrize("text", ["退款被驳回了", "为啥不给我退", "售后不同意", "审核没过 还能再申请吗", "申请被拒了"])
def test_refusals_are_recognised(text: str) -> None:
    assert is_denial(text)


@pytest.mark.parametrize("text", ["怎么申请退款", "会员还没过期 能升级吗", "给我推荐点课", "钱扣了课没开"])
def test_other_messages_are_not_refusals(text: str) -> None:
    assert not is_denial(text)


def test_entries_phrased_as_a_refusal_rank_higher_on_a_refusal_only(engine: Engine) -> None:
    rejected, refund = engine.faq_ids.index("refund-rejected"), engine.faq_ids.index("refund-how")
    assert engine.faq_denial[rejected] == 1.0 and engine.faq_denial[refund] == 0.0
    bonus = engine.rank_bonus(normalize("申请的退款被拒绝了 凭什么"))
    assert bonus is not None and np.allclose(bonus, engine.weights.denial * engine.faq_denial)
    assert engine.rank_bonus(normalize("课不想学了 钱能退回来吗")) is None
    assert engine.understand("申请的退款被拒绝了 凭什么").candidates[0] == "refund-rejected"


def test_the_refusal_term_reorders_entries_without_raising_confidence(engine: Engine) -> None:
    text = normalize("申请的退款被拒绝了 凭什么")
    sig = engine.signals(text)
    assert sig.faq_bonus is not None
    plain = dataclasses.replace(sig, faq_bonus=None)
    flipped = dataclasses.replace(sig, faq_bonus=np.where(np.arange(len(sig.faq)) == int(np.argmin(sig.faq)), 9.0, 0.0))
    req = content_request(text)
    assert decide(engine, flipped, req).candidates[0] == engine.faq_ids[int(np.argmin(sig.faq))]
    assert decide(engine, flipped, req).scores["d_faq"] == decide(engine, plain, req).scores["d_faq"]


def test_entries_asking_where_rank_higher_on_a_where_question(engine: Engine) -> None:
    where = engine.faq_ids.index("purchased-where")
    assert engine.faq_where[where] == 1.0
    bonus = engine.rank_bonus(normalize("付了钱的课去哪找啊"))
    assert bonus is not None and np.allclose(bonus, engine.weights.where * engine.faq_where)
    assert engine.rank_bonus(normalize("课不想学了 钱能退回来吗")) is None
