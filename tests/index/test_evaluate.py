"""The evaluation harness scores outcomes the way the targets are defined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.evaluate import Outcome, evaluate, ndcg_at


def test_ndcg() -> None:
    rel = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b"], rel) == pytest.approx(1.0)
    assert ndcg_at(["x", "a", "b"], rel) < 1.0
    assert ndcg_at([], rel) == 0.0


def test_evaluate_counts(tmp_path: Path) -> None:
    rows = [
        {"q": "q1", "type": "faq", "expect": "f1"},
        {"q": "q2", "type": "faq", "expect": "f2"},
        {"q": "n1", "type": "none"},
        {"q": "n2", "type": "none"},
        {"q": "r1", "type": "recommend", "relevant": {"a": 2}},
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    answers = {
        "q1": Outcome("faq", "f1"),
        "q2": Outcome("clarify", None, ["f3", "f2"]),
        "n1": Outcome("no_content"),
        "n2": Outcome("items", item_ids=["a"]),
        "r1": Outcome("items", item_ids=["a", "b"]),
    }
    rep = evaluate(tmp_path, path, answers.__getitem__)
    assert rep.faq_answered_correctly == 0.5 and rep.faq_top1 == 0.5
    assert rep.faq_clarify_rate == 0.5 and rep.faq_clarify_contains_right == 1.0
    assert rep.oos_false_answer_rate == 0.5
    assert rep.rec_ndcg5 == pytest.approx(1.0)
