"""The words a catalogue's text uses, and how much of a requested topic they cover.

A request for content on something the catalogue never mentions (「有没有日语五十音的课」 to an English
account) still finds items in the same broad domain; what gives it away is that the topic's specific words
appear nowhere in the catalogue. Words are weighted by their general-language idf (jieba's table), so
specific words count and generic ones (课, 学习) barely do."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import jieba

from index.model import Item
from index.normalize import fold
from index.tokenize import tokens

BODY_CHARS = 600        # of each item's body (preview and paid part): bounds build time on big catalogues


def catalogue_words(tok: jieba.Tokenizer, items: Iterable[Item]) -> set[str]:
    """Every token of the items' titles, tags, summaries and the start of their bodies."""
    words: set[str] = set()
    for item in items:
        body = f"{item.preview_md}\n{item.paid_md}"[:BODY_CHARS]
        words.update(tokens(tok, fold(" ".join([item.title, *item.tags, item.summary, body]))))
    return words


@lru_cache(maxsize=1)
def _general_idf() -> tuple[dict[str, float], float]:
    import jieba.analyse

    table = jieba.analyse.default_tfidf
    return table.idf_freq, table.median_idf


def topic_coverage(words: set[str], topic_tokens: list[str]) -> float:
    """Idf-weighted share of the topic's tokens that the catalogue uses (1.0 for an empty topic)."""
    if not topic_tokens:
        return 1.0
    idf, median = _general_idf()
    weights = {t: idf.get(t, median) for t in set(topic_tokens)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in words) / total if total else 1.0
