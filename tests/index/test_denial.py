"""A message about a refusal favours the entries phrased as one (a refused refund over the refund itself)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index import Engine, load_kb, make_encoder
from index.intent import is_denial
from index.normalize import normalize
from tests.index.conftest import copy_kb


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    kb_dir = copy_kb(tmp_path_factory.mktemp("denial") / "kb", articles=0)
    return Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp("idx"))


@pytest.mark.parametrize("text", ["退款被驳回了", "为啥不给我退", "售后不同意", "审核没过 还能再申请吗", "申请被拒了"])
def test_refusals_are_recognised(text: str) -> None:
    assert is_denial(text)


@pytest.mark.parametrize("text", ["怎么申请退款", "会员还没过期 能升级吗", "给我推荐点课", "钱扣了课没开"])
def test_other_messages_are_not_refusals(text: str) -> None:
    assert not is_denial(text)


def scores(engine: Engine, text: str, denial: float) -> np.ndarray:
    norm = normalize(text)
    kept = engine.weights
    engine.weights = dataclasses.replace(kept, denial=denial)
    try:
        return engine.faq_scores(norm, engine.encode_queries([norm])[0])[0]
    finally:
        engine.weights = kept


def test_entries_phrased_as_a_refusal_gain_on_a_refusal_only(engine: Engine) -> None:
    rejected, refund = engine.faq_ids.index("refund-rejected"), engine.faq_ids.index("refund-how")
    assert engine.faq_denial[rejected] == 1.0 and engine.faq_denial[refund] == 0.0
    gain = scores(engine, "申请的退款被拒绝了 凭什么", 0.02) - scores(engine, "申请的退款被拒绝了 凭什么", 0.0)
    assert np.allclose(gain, 0.02 * engine.faq_denial)
    plain = scores(engine, "课不想学了 钱能退回来吗", 0.02) - scores(engine, "课不想学了 钱能退回来吗", 0.0)
    assert not plain.any()
    assert engine.understand("申请的退款被拒绝了 凭什么").candidates[0] == "refund-rejected"
