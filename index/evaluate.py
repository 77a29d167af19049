"""Scoring the whole chat decision on a labelled KB (queries.jsonl): FAQ, out-of-scope, recommendations, latency."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from index.engine import Engine, Understanding


@dataclass
class Outcome:
    """What the chat path replied to one message, reduced to what the labels can judge."""

    kind: str                      # "faq" | "clarify" | "items" | "no_content" | "fallback"
    faq_id: str | None = None
    candidates: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)

    def answers(self, expect: str) -> bool:
        """Whether this is a direct answer from the expected FAQ entry."""
        return self.kind == "faq" and self.faq_id == expect

    def speaks(self) -> bool:
        """Whether the reply answers at all (an FAQ answer or item links): false for an out-of-scope message."""
        return self.kind == "faq" or bool(self.item_ids)


@dataclass
class Report:
    """Quality and latency figures of one evaluation run."""

    faq_n: int = 0
    faq_top1: float = 0.0              # right entry first (answered, or first clarify candidate)
    faq_answered_correctly: float = 0.0
    faq_clarify_rate: float = 0.0
    faq_clarify_contains_right: float = 0.0
    faq_wrong_answer_rate: float = 0.0
    none_n: int = 0
    oos_false_answer_rate: float = 0.0
    rec_n: int = 0
    rec_ndcg5: float = 0.0
    rec_items_rate: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    failures: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        return [
            f"FAQ queries            {self.faq_n}",
            f"  top-1                {self.faq_top1:.3f}",
            f"  answered correctly   {self.faq_answered_correctly:.3f}",
            f"  answered wrongly     {self.faq_wrong_answer_rate:.3f}",
            f"  clarify rate         {self.faq_clarify_rate:.3f}"
            f"  (contains right {self.faq_clarify_contains_right:.3f})",
            f"Out-of-scope queries   {self.none_n}",
            f"  false answers        {self.oos_false_answer_rate:.3f}",
            f"Recommend queries      {self.rec_n}",
            f"  nDCG@5               {self.rec_ndcg5:.3f}  (got items {self.rec_items_rate:.3f})",
            f"Latency ms             p50 {self.latency_p50_ms:.1f}  p99 {self.latency_p99_ms:.1f}",
        ]

    def as_dict(self) -> dict:
        """The figures without the failure list."""
        return {k: v for k, v in self.__dict__.items() if k != "failures"}


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 5) -> float:
    """nDCG@k with gain 2^rel - 1; the ideal ranking comes from the labels."""
    dcg = sum((2 ** relevant.get(i, 0) - 1) / math.log2(r + 2) for r, i in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


QUERY_TYPES = ("faq", "recommend", "none")


def load_queries(path: str | Path) -> list[dict]:
    """The labelled queries of a queries.jsonl file; ValueError naming the line of one that is not."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(q, dict) or not isinstance(q.get("q"), str) or q.get("type") not in QUERY_TYPES:
                raise ValueError(f'{path}:{n}: a query needs "q" (text) and "type" ({" | ".join(QUERY_TYPES)})')
            if q["type"] == "faq" and not isinstance(q.get("expect"), str):
                raise ValueError(f'{path}:{n}: an faq query needs "expect" (the FAQ id it should get)')
            out.append(q)
    return out


def outcome_of(u: Understanding) -> Outcome:
    """What the labels can judge of an Engine.understand decision."""
    if u.kind == "faq":
        return Outcome("faq", u.faq_id, list(u.candidates), item_ids=[i for i, _ in u.items])
    if u.kind == "clarify":
        return Outcome("clarify", None, list(u.candidates))
    if u.kind in ("recommend", "buy"):
        ids = [i for i, _ in u.items][:5]
        return Outcome("items" if ids else "no_content", item_ids=ids)
    return Outcome("fallback")


def engine_respond(engine: Engine) -> Callable[[str], Outcome]:
    """A respond callback straight from Engine.understand (before the chat path is wired)."""

    def respond(text: str) -> Outcome:
        return outcome_of(engine.understand(text))

    return respond


def evaluate(kb_dir: str | Path, queries_path: str | Path | None,
             respond: Callable[[str], Outcome]) -> Report:
    """Send every labelled query through respond and score the outcomes."""
    qpath = Path(queries_path) if queries_path else Path(kb_dir) / "queries.jsonl"
    rep = Report()
    lat: list[float] = []
    top1 = ok = wrong = clar = clar_ok = 0
    none_bad = 0
    ndcgs: list[float] = []
    got_items = 0
    for q in load_queries(qpath):
        t0 = time.perf_counter()
        out = respond(q["q"])
        lat.append((time.perf_counter() - t0) * 1000)
        typ = q.get("type")
        if typ == "faq":
            rep.faq_n += 1
            exp = q["expect"]
            first = out.faq_id if out.kind == "faq" else (out.candidates[:1] or [None])[0]
            top1 += first == exp
            if out.kind == "faq":
                ok += out.answers(exp)
                wrong += not out.answers(exp)
            elif out.kind == "clarify":
                clar += 1
                clar_ok += exp in out.candidates[:3]
            if not out.answers(exp):
                rep.failures.append({"q": q["q"], "expect": exp, "got": out.kind, "id": out.faq_id,
                                     "cands": out.candidates[:3]})
        elif typ == "none":
            rep.none_n += 1
            bad = out.speaks()
            none_bad += bad
            if bad:
                rep.failures.append({"q": q["q"], "expect": "none", "got": out.kind, "id": out.faq_id,
                                     "items": out.item_ids[:3]})
        elif typ == "recommend":
            rep.rec_n += 1
            got_items += bool(out.item_ids)
            score = ndcg_at(out.item_ids, q.get("relevant", {}))
            ndcgs.append(score)
            if score < 0.5:
                rep.failures.append({"q": q["q"], "expect": q.get("relevant"), "got": out.kind,
                                     "items": out.item_ids[:5], "ndcg": round(score, 3)})
    n = max(rep.faq_n, 1)
    rep.faq_top1, rep.faq_answered_correctly = top1 / n, ok / n
    rep.faq_wrong_answer_rate, rep.faq_clarify_rate = wrong / n, clar / n
    rep.faq_clarify_contains_right = clar_ok / clar if clar else 0.0
    rep.oos_false_answer_rate = none_bad / max(rep.none_n, 1)
    rep.rec_ndcg5 = float(np.mean(ndcgs)) if ndcgs else 0.0
    rep.rec_items_rate = got_items / max(rep.rec_n, 1)
    if lat:
        rep.latency_p50_ms = float(np.percentile(lat, 50))
        rep.latency_p99_ms = float(np.percentile(lat, 99))
    return rep
