"""Regression guard: quality on both labelled dev KBs must not fall below the floor reached.

It builds two full indexes (about a minute) and skips when the dev KBs are not beside the checkout
(set DEVKB_ROOT to their folder). The targets themselves are benchmarks recorded in BENCHMARKS.md; each
floor is what the shipped defaults measure, less one query (two for nDCG) of slack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import Engine, load_kb, make_encoder
from index.evaluate import engine_respond, evaluate

SHARED = Path(os.environ.get("DEVKB_ROOT", Path(__file__).resolve().parents[3] / "shared"))
FLOORS = {
    "devkb": {"answered": 0.90, "oos": 0.125, "ndcg": 0.85},
    "devkb-fitness": {"answered": 0.88, "oos": 0.07, "ndcg": 0.77},
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_quality_floor(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    kb_dir = SHARED / name
    if not (kb_dir / "queries.jsonl").is_file():
        pytest.skip(f"{kb_dir} not available")
    engine = Engine.build(load_kb(kb_dir), make_encoder(), tmp_path_factory.mktemp(name))
    rep = evaluate(kb_dir, None, engine_respond(engine))
    floor = FLOORS[name]
    assert rep.faq_answered_correctly >= floor["answered"], rep.lines()
    assert rep.oos_false_answer_rate <= floor["oos"], rep.lines()
    assert rep.rec_ndcg5 >= floor["ndcg"], rep.lines()
