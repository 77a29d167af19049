"""Topic coverage: a request's specific words must appear somewhere in the catalogue's text."""

from __future__ import annotations

from pathlib import Path

from index import load_kb
from index.normalize import fold
from index.tokenize import make_tokenizer, tokens
from index.vocabulary import catalogue_words, topic_coverage


def test_specific_words_count_more_than_generic_ones() -> None:
    words = {"课", "英语", "口语"}
    assert topic_coverage(words, ["英语", "口语"]) == 1.0
    assert topic_coverage(words, ["日语", "五十音"]) == 0.0
    assert topic_coverage(words, ["日语", "课"]) < 0.5          # 课 is generic, 日语 is what was asked for
    assert topic_coverage(words, []) == 1.0


def test_the_catalogue_words_include_titles_and_the_start_of_bodies(small_kb_dir: Path) -> None:
    kb = load_kb(small_kb_dir)
    tok = make_tokenizer()
    words = catalogue_words(tok, kb.items.values())
    for item in kb.items.values():
        assert set(tokens(tok, fold(item.title))) <= words
        opening = set(tokens(tok, fold(item.preview_md.split("。")[0])))
        assert len(opening & words) >= 0.8 * len(opening)     # jieba may cut a word differently in context
