"""Admin reports on the knowledge base as terminal text: its gaps, and how one message is read."""

from __future__ import annotations

import json
from typing import Any

from index import Engine, Understanding
from index.decide import NOT_IN_PLAY

# Why a message got the fallback before any score was looked at (Understanding.debug["why"]).
_WHY = {"empty": "nothing but greetings, thanks and marks", "small talk": "small talk about the bot itself"}


def gaps_lines(found: dict[str, Any]) -> list[str]:
    """The gaps report (handlers.gaps.report) as text."""
    counts = found["by_reply"]
    lines = [f"Last {found['days']} days: {found['messages']} messages the knowledge base did not answer outright, "
             f"from {_subscribers(found['askers'])} (fallback {counts['fallback']}, clarifying list "
             f"{counts['clarify']}, no such content {counts['no_content']}, answer disputed {counts['disputed']})."]
    sections = (("Unanswered, most asked first:", found["unanswered"]),
                ("Content asked for that the catalogue lacks:", found["content"]))
    for title, groups in sections:
        if groups:
            lines += ["", title,
                      *(f"  {g['count']:>4}x {_subscribers(g['askers'], 3):<15}  {g['text']}" for g in groups)]
    if found["suggestions"]:
        lines += ["", "Picked from a list of questions: add these under `similar:` of the entry."]
        for s in found["suggestions"]:
            lines.append(f"  {s['source'] or '?'}  {s['faq_id']} ({s['question']}): picked {s['picked']} of "
                         f"{s['offered']} times offered")
            lines += [f"    - {json.dumps(text, ensure_ascii=False)}" for text in s["phrasings"]]
    if found["disputed"]:
        lines += ["", "Answered, then told 「不对」: these may belong to another entry, or need one of their own."]
        for d in found["disputed"]:
            lines.append(f"  {d['source'] or '?'}  {d['faq_id']} ({d['question']}): {d['count']}x")
            lines += [f"    {text}" for text in d["messages"]]
    return lines


def explain_lines(engine: Engine, text: str, reading: Understanding) -> list[str]:
    """How the engine read `text`: the reply it gets, the FAQ entries and items it scored best, and how far
    each side is from the gate calibrated for this KB."""
    kb, scores = engine.kb, reading.scores
    lines = [f"「{text}」 read as 「{reading.debug.get('norm', '')}」", f"Reply: {_reply(reading)}"]
    d_faq, d_item = scores.get("d_faq", NOT_IN_PLAY), scores.get("d_item", NOT_IN_PLAY)
    if reading.candidates:
        lines.append(f"FAQ, best first ({_distance(d_faq)}; a clarifying list from "
                     f"{engine.policy.clarify_band:.3f} under):")
        for n, faq_id in enumerate(reading.candidates, 1):
            lines.append(f"  {n}. {scores[f'rank{n}']:.4f}  {faq_id}  {kb.faqs[faq_id].question}  "
                         f"{kb.sources.get(faq_id, '')}")
    if reading.debug.get("items"):
        lines.append(f"Items, best first ({_distance(d_item)}):")
        for n, (item_id, score) in enumerate(reading.debug["items"], 1):
            lines.append(f"  {n}. {score:.4f}  {item_id}  {kb.items[item_id].title}")
    needed = engine.policy.request_topic_coverage
    if reading.kind == "recommend" and not reading.items and reading.topic and scores["topic_cov"] < needed:
        lines.append(f"The catalogue's words cover {scores['topic_cov']:.2f} of the topic 「{reading.topic}」 "
                     f"(weighted by how rare each word is; {needed:.2f} needed).")
    return lines


def _subscribers(n: int, width: int = 0) -> str:
    return f"{n:>{width}} subscriber" + ("" if n == 1 else "s")


def _reply(reading: Understanding) -> str:
    if reading.kind == "faq":
        related = f", with links to {', '.join(i for i, _ in reading.items)}" if reading.items else ""
        return f"the answer of {reading.faq_id}{related}"
    if reading.kind == "clarify":
        return "「你是不是想问」 with the three entries below"
    if reading.kind == "recommend":
        return f"{len(reading.items)} items" if reading.items else "no such content (the no_content text)"
    if reading.kind == "buy":
        return f"the buy link of {reading.items[0][0]}"
    why = _WHY.get(reading.debug.get("why", ""))
    return f"the fallback text ({why})" if why else "the fallback text"


def _distance(delta: float) -> str:
    if delta <= NOT_IN_PLAY:
        return "not in play"
    return f"{abs(delta):.4f} {'over' if delta >= 0 else 'under'} the gate"
