"""Regression guard: quality on both labelled dev KBs must not fall below the floor reached.

Opt-in (it builds two full indexes): run with KB_EVAL=1. The targets themselves are benchmarks
recorded in BENCHMARKS.md; these floors sit a little below what the shipped defaults measure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import Engine, load_kb, make_encoder
from index.evaluate import engine_respond, evaluate

SHARED = Path(os.environ.get("DEVKB_ROOT", Path(__file__).resolve().parents[3] / "shared"))
FLOORS = {
    "devkb": {"answered": 0.83, "oos": 0.125, "ndcg": 0.82},
    "devkb-fitness": {"answered": 0.75, "oos": 0.10, "ndcg": 0.75},
}

pytestmark = pytest.mark.skipif(os.environ.get("KB_EVAL") != "1", reason="set KB_EVAL=1 to run the eval guard")


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
