"""The calibrated decision between answer, clarify, recommend and fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.intent import ContentRequest

if TYPE_CHECKING:
    from index.engine import Engine, Signals, Understanding


@dataclass(frozen=True)
class Policy:
    """How confident the engine must be, relative to this KB's off-topic calibration; domain-neutral defaults."""

    faq_pct: float = 92.5              # FAQ gate: this percentile of off-topic FAQ confidences
    margin_weight: float = 0.5         # FAQ confidence = top-1 + margin_weight * (top-1 - top-2) ...
    qa_lead_weight: float = 0.1        # ... + this * the top entry's lead on question-and-answer similarity
    item_pct: float = 95.0             # item gate: this percentile of off-topic top item scores
    request_pct: float = 95.0          # item gate for explicit content requests
    request_topic_coverage: float = 0.4  # ... whose topic's words the catalogue's text must mostly use
    min_margin: float = 0.0            # top-1 must lead top-2 by this much to answer directly ...
    one_word_margin: float = 0.03      # ... or this much for a one-word message (「退款」, 「发票」), a topic that
                                       # several entries may share: else 「你是不是想问」
    clarify_band: float = 0.03         # below the gate by less than this: ask "你是不是想问"
    faq_over_request: float = 0.06     # an explicit content request still gets an FAQ this far over
    unconfirmed_items: float = 0.02    # items must clear their gate by this much more when no item nearest in
                                       # meaning is also one the message's words match best (Engine.item_scores):
                                       # a near miss matches a domain's feel, not its words
    implicit_items: float = 0.0        # items this far over their gate win without a request ...
    items_lead: float = 0.06           # ... when the FAQ is below its gate, or they lead it by this much
    implicit_coverage: float = 0.05    # ... and some of the message's words occur in the catalogue
    list_floor: float = 1.0            # list items scoring within this of the best one
    service_faq: float = 0.03          # a message asking for a service needs its FAQ answer this far over the gate
    elsewhere_faq: float = 0.04        # ... and one naming another organisation (index.intent.OTHER_ORG_RE) this far
    kind_band: float = 0.02            # a message of a kind that vouches (index.intent.FACETS) is answered this far
                                       # under the gate when the entry ranked first is phrased as that kind ...
    person_band: float = 0.06          # ... or this far when it asks for a person (「有活人吗 机器人说不清楚」): its
                                       # words are about the bot, and share little with an entry on reaching staff
    related_lead: float = 0.0          # an FAQ answer also links the best items when items clear their gate
                                       # and lead the FAQ (each over its gate) by this much: up to this many
    related: int = 3                   # for a domain question; only the best for a message about a purchase
                                       # or about one course or article it speaks of


POLICY = Policy()
NOT_IN_PLAY = -9.0     # the score of a side with nothing to offer (no item found, no FAQ entry that could answer)


def faq_confidence(top: np.ndarray | float, second: np.ndarray | float, qa_lead: np.ndarray | float,
                   policy: Policy) -> np.ndarray | float:
    """One number for how sure the best FAQ entry is right: its fused score, its margin over the
    runner-up, and whether the question-and-answer view agrees that it is the best."""
    return top + policy.margin_weight * (np.asarray(top) - second) + policy.qa_lead_weight * np.asarray(qa_lead)


def thresholds(negatives: dict[str, list[float]], policy: Policy = POLICY) -> dict[str, float]:
    """The FAQ and item gates for a KB from its off-topic calibration scores."""
    if not negatives.get("faq_top"):
        return {"faq": 9.0, "item": 9.0, "request": 9.0}
    top, second = np.array(negatives["faq_top"]), np.array(negatives["faq_second"])
    conf = faq_confidence(top, second, np.array(negatives["faq_qa_lead"]), policy)
    return {"faq": float(np.percentile(conf, policy.faq_pct)),
            "item": float(np.percentile(np.array(negatives["item_top"]), policy.item_pct)),
            "request": float(np.percentile(np.array(negatives["item_top"]), policy.request_pct))}


def decide(engine: Engine, sig: Signals, req: ContentRequest) -> Understanding:
    """Pick the reply kind from the message's signals and the KB's calibrated gate."""
    from index.engine import Understanding

    policy, g = engine.policy, engine.gates["en" if sig.english else "zh"]
    rank = sig.faq if sig.faq_bonus is None else sig.faq + sig.faq_bonus
    order = np.argsort(-rank) if len(rank) else np.array([], dtype=np.int64)
    top_two = np.sort(sig.faq)[::-1][:2]        # confidence from the scores alone, whatever the ranking
    s1 = float(top_two[0]) if len(order) else -1.0
    s2 = float(top_two[1]) if len(order) > 1 else -1.0
    i1 = sig.items[0][1] if sig.items else NOT_IN_PLAY
    d_faq = float(faq_confidence(s1, s2, sig.faq_qa_lead, policy)) - g["faq"] if len(order) else NOT_IN_PLAY
    if sig.unanswerable:        # about a feature the FAQ never mentions: no entry answers it, however close
        d_faq = NOT_IN_PLAY
    d_item = i1 - (g["request"] if req.explicit else g["item"])
    cands = [engine.faq_ids[i] for i in order[:3]]
    scores = {"faq1": s1, "faq2": s2, "item1": i1, "d_faq": d_faq, "d_item": d_item,
              "faq_cov": sig.faq_cov, "qa_lead": sig.faq_qa_lead, "item_cov": sig.item_cov,
              "topic_cov": sig.topic_cov}
    scores.update({f"rank{n}": float(rank[i]) for n, i in enumerate(order[:3], 1)})   # the candidates' scores

    def items() -> list[tuple[str, float]]:
        if d_item < 0:
            return []
        return [(i, s) for i, s in sig.items[:5] if s >= i1 - policy.list_floor]

    def faq() -> Understanding:
        if s1 - s2 >= (policy.one_word_margin if sig.one_word else policy.min_margin) or len(order) == 1:
            n = 1 if req.transaction or req.names_item else policy.related
            related = items()[:n] if d_item >= d_faq + policy.related_lead else []
            return Understanding("faq", faq_id=cands[0], candidates=cands, items=related, scores=scores)
        return Understanding("clarify", candidates=cands, scores=scores)

    unconfirmed = 0.0 if sig.item_words_agree else policy.unconfirmed_items
    if req.explicit:
        if d_faq >= policy.faq_over_request and d_faq > d_item:
            return faq()
        # an English topic is not looked for in a Chinese catalogue's words: its meaning alone carries it
        covered = sig.english or sig.topic_cov >= policy.request_topic_coverage
        carried = covered and not req.service and d_item >= unconfirmed
        return Understanding("recommend", items=items() if carried else [], topic=req.topic, scores=scores)
    if (d_item >= policy.implicit_items + unconfirmed and (sig.english or sig.item_cov >= policy.implicit_coverage)
            and not req.service
            and not (req.transaction or req.names_item or req.asks_staff or sig.asks_person)
            and sig.faq_vouched is None     # a kind that names an account matter only (「199扣了 还是锁着」)
            and (d_faq < 0 or d_item >= d_faq + policy.items_lead)):
        return Understanding("recommend", items=items(), topic=sig.text, scores=scores)
    if d_faq >= max(policy.service_faq if req.service else 0.0, policy.elsewhere_faq if sig.elsewhere else 0.0):
        return faq()
    band = policy.person_band if sig.asks_person else policy.kind_band
    if (d_faq >= -band and not req.service and sig.faq_vouched is not None
            and sig.faq_vouched[order[0]] > 0):
        return faq()     # 「有真人吗 机器人答非所问」, 「149买的课 今天只要119了」: the kind speaks for the entry
    if (d_faq >= -policy.clarify_band and len(order) > 1
            and (d_item <= d_faq or req.transaction or req.names_item or req.asks_staff)):
        # only when the message is nearer the FAQ than the catalogue, or is about a purchase, a course it
        # speaks of or the account's teachers: one nearer the catalogue describes something to read about,
        # and a list of account questions would not help
        return Understanding("clarify", candidates=cands, scores=scores)
    return Understanding("fallback", candidates=cands, scores=scores)
