"""Entries whose phrasings embed alike are reported to the KB's editors."""

from __future__ import annotations

from pathlib import Path

from index import Engine, load_kb, make_encoder
from index.confusion import confusable


def test_an_entry_copied_under_a_new_id_is_reported_first(kb_copy: Path, tmp_path: Path) -> None:
    kb = load_kb(kb_copy)
    original = next(iter(kb.faqs.values()))
    faq_file = sorted((kb_copy / "faq").glob("*.yaml"))[0]
    twin = f"\n- id: twin-entry\n  question: {original.question.rstrip('？?')}呢\n  answer: 另一个答案。\n"
    faq_file.write_text(faq_file.read_text(encoding="utf-8") + twin, encoding="utf-8")
    engine = Engine.build(load_kb(kb_copy), make_encoder(), tmp_path / "idx")
    pairs = confusable(engine)
    assert pairs and {pairs[0].first, pairs[0].second} == {original.id, "twin-entry"}
    assert pairs[0].similarity >= 0.92 and "twin-entry" in pairs[0].line()
    assert all(p.similarity >= q.similarity for p, q in zip(pairs, pairs[1:], strict=False))
    assert confusable(engine, near=1.01) == []


def test_entries_are_not_confused_with_themselves(kb_copy: Path, tmp_path: Path) -> None:
    engine = Engine.build(load_kb(kb_copy), make_encoder(), tmp_path / "idx")
    pairs = confusable(engine, near=-1.0)
    assert pairs and all(p.first != p.second for p in pairs)
