"""What the knowledge base could not answer: recorded as it happens, reported to admins as the KB's gaps."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.deps import Deps
from bot.errors import InvalidInput, Unavailable
from bot.logs import hash_openid
from bot.models import Unanswered, utcnow
from bot.session import CHOICE_TTL
from index.model import KnowledgeBase
from index.normalize import is_contentless, normalize, wording_key

log = logging.getLogger(__name__)
RETENTION = timedelta(days=90)      # subscribers' words are kept this long, then pruned (workers.housekeeping)
TEXT_MAX = 500
TOPIC_MAX = 200
TOP_MAX = 500
REPLIES = ("fallback", "clarify", "no_content", "disputed")


def record(deps: Deps, openid: str, text: str, reply: str, *, topic: str | None = None,
           candidates: Iterable[str] = ()) -> None:
    """Keep one message that got the fallback, a clarifying list or "no such content", or an FAQ answer the
    subscriber then said was not it (「不对」); a database outage loses the record, never the reply. Greetings and
    thanks alone are not a gap."""
    if is_contentless(normalize(text)):
        return
    row = Unanswered(asker=hash_openid(openid), text=text.strip()[:TEXT_MAX], reply=reply,
                     topic=(topic or None) and topic[:TOPIC_MAX], candidates=list(candidates))
    try:
        with deps.sessions.begin() as session:
            session.add(row)
    except SQLAlchemyError:
        log.warning("unanswered message not recorded: database unavailable")


def resolve(deps: Deps, openid: str, faq_id: str) -> int | None:
    """The subscriber picked `faq_id` from the list they were last offered (a clarifying one, or the one offered
    after they disputed an answer): note it on the message that led to the list; that record's id, when one was
    noted."""
    asker = hash_openid(openid)
    try:
        with deps.sessions.begin() as session:
            latest = session.scalar(
                select(Unanswered.id)
                .where(Unanswered.asker == asker, Unanswered.reply.in_(("clarify", "disputed")),
                       Unanswered.created_at >= utcnow() - timedelta(seconds=CHOICE_TTL))
                .order_by(Unanswered.id.desc())
                .limit(1)
            )
            if latest is None:
                return None
            done = session.execute(update(Unanswered).where(Unanswered.id == latest, Unanswered.picked.is_(None))
                                   .values(picked=faq_id))
            return latest if getattr(done, "rowcount", 0) else None
    except SQLAlchemyError:
        log.warning("clarify choice not recorded: database unavailable")
        return None


def withdraw(deps: Deps, record_id: int) -> None:
    """The subscriber said the entry they picked was not it after all: the message is unanswered again."""
    try:
        with deps.sessions.begin() as session:
            session.execute(update(Unanswered).where(Unanswered.id == record_id).values(picked=None))
    except SQLAlchemyError:
        log.warning("withdrawn clarify choice not recorded: database unavailable")


def prune(deps: Deps, older_than: timedelta = RETENTION) -> int:
    """Delete records older than the retention period; how many went."""
    with deps.sessions.begin() as session:
        gone = session.execute(delete(Unanswered).where(Unanswered.created_at < utcnow() - older_than))
    return int(getattr(gone, "rowcount", 0) or 0)


def report(deps: Deps, kb: KnowledgeBase, days: int = 30, top: int = 20) -> dict[str, Any]:
    """The gaps of the last `days` days, most asked first (`top` of each list): questions left unanswered
    (the fallback, or a clarifying list nobody picked from), content asked for that the catalogue lacks,
    messages whose asker picked an entry of `kb` from a list (a clarifying one, or the one offered after they
    said an answer was not it), as phrasings to add to it, and per entry the messages it answered that their
    askers said it did not."""
    if not (1 <= days <= RETENTION.days and 1 <= top <= TOP_MAX):
        raise InvalidInput(f"days must be 1-{RETENTION.days} and top 1-{TOP_MAX}")
    since = utcnow() - timedelta(days=days)
    try:
        with deps.sessions() as session:
            rows = session.execute(
                select(Unanswered.asker, Unanswered.text, Unanswered.reply, Unanswered.topic,
                       Unanswered.candidates, Unanswered.picked)
                .where(Unanswered.created_at >= since)
                .order_by(Unanswered.id.desc())
            ).all()
    except SQLAlchemyError:
        raise Unavailable("database unavailable: the gaps report cannot be read") from None
    faqs, sources = kb.faqs, kb.sources
    open_rows = [r for r in rows if r.reply == "fallback" or (r.reply == "clarify" and r.picked is None)]
    picked: dict[str, list[Row[Any]]] = defaultdict(list)
    disputed: dict[str, list[Row[Any]]] = defaultdict(list)
    offered: Counter[str] = Counter()
    for r in rows:
        if r.reply == "disputed" and r.candidates and r.candidates[0] in faqs:
            disputed[r.candidates[0]].append(r)
        if r.reply in ("clarify", "disputed"):
            listed = r.candidates or []
            offered.update(set(listed[1:] if r.reply == "disputed" else listed))   # the disputed answer was not
            if r.picked in faqs:
                picked[r.picked].append(r)
    suggestions = [
        {"faq_id": faq_id, "question": faqs[faq_id].question, "source": sources.get(faq_id, ""),
         "picked": len(chosen), "offered": offered[faq_id],
         "phrasings": _distinct((r.text for r in chosen), known=faqs[faq_id].phrasings)}
        for faq_id, chosen in sorted(picked.items(), key=lambda p: (-len(p[1]), p[0]))
    ][:top]
    return {
        "days": days,
        "since": since.isoformat(timespec="seconds"),
        "messages": len(rows),
        "askers": len({r.asker for r in rows}),
        "by_reply": {kind: sum(1 for r in rows if r.reply == kind) for kind in REPLIES},
        "unanswered": _grouped(open_rows, lambda r: r.text)[:top],
        "content": _grouped([r for r in rows if r.reply == "no_content"], lambda r: r.topic or r.text)[:top],
        "suggestions": suggestions,
        "disputed": [
            {"faq_id": faq_id, "question": faqs[faq_id].question, "source": sources.get(faq_id, ""),
             "count": len(told), "messages": _distinct(r.text for r in told)}
            for faq_id, told in sorted(disputed.items(), key=lambda p: (-len(p[1]), p[0]))
        ][:top],
    }


def _grouped(rows: list[Row[Any]], text_of: Callable[[Row[Any]], str]) -> list[dict[str, Any]]:
    """Rows that read the same once normalised, as {text (the latest wording), count, askers}, most asked first."""
    groups: dict[str, list[Row[Any]]] = defaultdict(list)
    for r in rows:                      # newest first, so a group's first row is its latest wording
        groups[_key(text_of(r))].append(r)
    out = [{"text": text_of(g[0]), "count": len(g), "askers": len({r.asker for r in g})} for g in groups.values()]
    return sorted(out, key=lambda g: (-g["askers"], -g["count"]))


def _key(text: str) -> str:
    """What two wordings of one message share (index.normalize.wording_key), or the text when nothing is left."""
    return wording_key(text) or text


def _distinct(texts: Iterable[str], known: Iterable[str] = ()) -> list[str]:
    """Texts without repeats of the same normalised form, nor of a `known` one, in order."""
    seen = {_key(text) for text in known}
    out = []
    for text in texts:
        key = _key(text)
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out
