"""A broadcast after start: expand the audience into chunks, keep chunks in flight, pause, resume and finish."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy import insert, select, update

from bot.deps import Deps
from bot.models import Broadcast, Delivery, utcnow
from handlers import broadcast_mass
from handlers.broadcast_audience import resolve
from handlers.broadcast_redis import Keys, finish_key, leased
from handlers.broadcast_send import send_chunk

log = logging.getLogger(__name__)
CHUNK = 500
INSERT_BATCH = 5000
CHUNK_TIMEOUT = 900
EXPAND_TIMEOUT = 1800
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
BEIJING = timezone(timedelta(hours=8))
FINISH_MAX_AGE = 3600
RUNNING = ("starting", "sending", "paused")


def expand_job_id(broadcast_id: int) -> str:
    """RQ job id of the audience expansion."""
    return f"broadcast-{broadcast_id}-expand"


def chunk_job_id(broadcast_id: int, chunk: int) -> str:
    """RQ job id of one chunk."""
    return f"broadcast-{broadcast_id}-{chunk}"


def move(deps: Deps, broadcast_id: int, sources: tuple[str, ...], target: str, **values: Any) -> bool:
    """Change the state only from one of `sources`; True when it changed."""
    with deps.sessions.begin() as session:
        result = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.state.in_(sources))
            .values(state=target, **values)
        )
        return bool(result.rowcount)


def enqueue_expand(deps: Deps, broadcast_id: int) -> None:
    """Queue the expansion job now."""
    deps.queue.enqueue("workers.broadcasts.expand", broadcast_id, job_id=expand_job_id(broadcast_id),
                       job_timeout=EXPAND_TIMEOUT, result_ttl=3600)


def schedule_expand(deps: Deps, broadcast_id: int, when: datetime) -> None:
    """Queue the expansion job for `when` (naive UTC) with RQ's scheduler."""
    deps.queue.enqueue_at(when.replace(tzinfo=UTC), "workers.broadcasts.expand", broadcast_id,
                          job_id=expand_job_id(broadcast_id), job_timeout=EXPAND_TIMEOUT, result_ttl=3600)


def expand(deps: Deps, broadcast_id: int) -> dict[str, object]:
    """Turn the audience into pending deliveries in chunks, atomically with the move to `sending`."""
    move(deps, broadcast_id, ("scheduled",), "starting")
    with deps.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.state != "starting":
        return {"stopped": broadcast.state if broadcast else "missing"}
    with leased(deps.redis, Keys(deps.prefix, broadcast_id).lease("expand")) as lease:
        if lease is None:
            return {"stopped": "busy"}
        if broadcast.kind == "mass":
            return broadcast_mass.send(deps, broadcast)
        openids = resolve(deps, broadcast.audience)
        now = utcnow()
        with deps.sessions.begin() as session:
            moved = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.state == "starting")
                .values(state="sending" if openids else "done", total=len(openids), started_at=now,
                        finished_at=None if openids else now, note=None if openids else "the audience matched nobody")
            ).rowcount
            for start in range(0, len(openids) if moved else 0, INSERT_BATCH):
                rows = [
                    {"broadcast_id": broadcast_id, "openid": openid, "chunk": index // CHUNK, "state": "pending",
                     "attempts": 0, "updated_at": now}
                    for index, openid in enumerate(openids[start:start + INSERT_BATCH], start)
                ]
                session.execute(insert(Delivery), rows)
    log.info("broadcast %s expanded to %d recipients in %d chunks", broadcast_id, len(openids),
             -(-len(openids) // CHUNK))
    pump(deps, broadcast_id)
    return {"total": len(openids)}


def in_flight(deps: Deps) -> int:
    """How many chunks to keep queued or running: one per live worker plus one spare."""
    return max(2, Worker.count(connection=deps.redis, queue=deps.queue) + 1)


def pump(deps: Deps, broadcast_id: int) -> int:
    """Keep chunks in flight: re-queue chunks whose worker died, start new ones, finish when none is left."""
    keys = Keys(deps.prefix, broadcast_id)
    lock = deps.redis.lock(keys.pump_lock, timeout=10, blocking_timeout=5)
    if not lock.acquire():
        return 0
    try:
        with deps.sessions() as session:
            state = session.scalar(select(Broadcast.state).where(Broadcast.id == broadcast_id))
            if state != "sending":
                return 0
            limit = in_flight(deps)
            chunks = list(session.scalars(
                select(Delivery.chunk)
                .where(Delivery.broadcast_id == broadcast_id, Delivery.state == "pending")
                .distinct().order_by(Delivery.chunk).limit(limit * 3)
            ))
        if not chunks:
            finish(deps, broadcast_id)
            return 0
        jobs = Job.fetch_many([chunk_job_id(broadcast_id, c) for c in chunks], connection=deps.redis)
        leases = deps.redis.mget([keys.lease(c) for c in chunks])
        idle = [c for c, job, held in zip(chunks, jobs, leases, strict=True)
                if held is None and (job is None or job.get_status(refresh=False) not in WAITING)]
        room = limit - (len(chunks) - len(idle))
        for chunk in idle[:max(0, room)]:
            deps.queue.enqueue("workers.broadcasts.send_chunk", broadcast_id, chunk,
                               job_id=chunk_job_id(broadcast_id, chunk), job_timeout=CHUNK_TIMEOUT,
                               result_ttl=600, failure_ttl=86400)
        return max(0, min(room, len(idle)))
    finally:
        lock.release()


def run_chunk(deps: Deps, broadcast_id: int, chunk: int) -> dict[str, object]:
    """Send one chunk, pause the broadcast on the daily quota, then keep the next chunks flowing."""
    result = send_chunk(deps, broadcast_id, chunk)
    if result.get("stopped") == "quota":
        pause_for_quota(deps, broadcast_id)
    pump(deps, broadcast_id)
    return result


def finish(deps: Deps, broadcast_id: int) -> None:
    """Mark a sending broadcast done once no recipient is pending."""
    with deps.sessions.begin() as session:
        left = session.scalar(
            select(Delivery.openid).where(Delivery.broadcast_id == broadcast_id, Delivery.state == "pending").limit(1)
        )
        if left is not None:
            return
        done = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.state == "sending")
            .values(state="done", finished_at=utcnow())
        ).rowcount
    if done:
        deps.redis.delete(Keys(deps.prefix, broadcast_id).claims)
        log.info("broadcast %s done", broadcast_id)


def next_quota_reset(now: datetime) -> datetime:
    """The platform's daily quotas reset at midnight Beijing time; naive UTC of the next reset."""
    local = now.replace(tzinfo=UTC).astimezone(BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def pause_for_quota(deps: Deps, broadcast_id: int) -> None:
    """45009: stop every chunk and wait for the quota reset; the sweeper resumes it."""
    until = next_quota_reset(utcnow())
    note = (f"paused: WeChat daily API quota reached (45009); resumes after the quota resets at "
            f"{until:%Y-%m-%d %H:%M} UTC (00:00 Beijing time)")
    halt_seconds = int((until - utcnow()).total_seconds()) + 3600
    deps.redis.set(Keys(deps.prefix, broadcast_id).halt, "quota", ex=max(60, halt_seconds))
    if move(deps, broadcast_id, ("sending",), "paused", paused_until=until, note=note):
        log.warning("broadcast %s %s", broadcast_id, note)


def resume_due(deps: Deps) -> list[int]:
    """Resume broadcasts whose quota pause has ended."""
    with deps.sessions() as session:
        due = list(session.scalars(
            select(Broadcast.id).where(Broadcast.state == "paused", Broadcast.paused_until <= utcnow())
        ))
    resumed = []
    for broadcast_id in due:
        deps.redis.delete(Keys(deps.prefix, broadcast_id).halt)
        if move(deps, broadcast_id, ("paused",), "sending", paused_until=None,
                note=f"resumed at {utcnow():%Y-%m-%d %H:%M} UTC after the daily quota reset"):
            resumed.append(broadcast_id)
            pump(deps, broadcast_id)
    return resumed


def cancel(deps: Deps, broadcast_id: int) -> bool:
    """Stop a broadcast: chunks halt at their next claim, and unsent recipients are marked cancelled."""
    deps.redis.set(Keys(deps.prefix, broadcast_id).halt, "cancelled", ex=7 * 86400)
    if not move(deps, broadcast_id, ("draft", "scheduled", "starting", "sending", "paused"), "cancelled",
                finished_at=utcnow()):
        return False
    with deps.sessions.begin() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.state == "pending")
            .values(state="cancelled")
        )
    return True


def record_finished(deps: Deps, msgid: str, status: str) -> None:
    """Remember a TEMPLATESENDJOBFINISH status; the sweeper writes them to deliveries in bulk."""
    deps.redis.hset(finish_key(deps.prefix), msgid, f"{status}|{int(time.time())}")


def fold_finished(deps: Deps, batch: int = 1000) -> int:
    """Write remembered final statuses onto their deliveries; forget ones that match nothing after an hour."""
    key = finish_key(deps.prefix)
    pending: dict[str, tuple[str, int]] = {}
    for msgid, value in deps.redis.hscan_iter(key, count=batch):
        status, _, stamp = value.decode().rpartition("|")
        pending[msgid.decode()] = (status, int(stamp or 0))
    applied = 0
    items = list(pending.items())
    for start in range(0, len(items), batch):
        part = dict(items[start:start + batch])
        with deps.sessions.begin() as session:
            known = set(session.scalars(select(Delivery.msgid).where(Delivery.msgid.in_(list(part)))))
            rows = session.execute(
                select(Delivery.broadcast_id, Delivery.openid, Delivery.msgid).where(Delivery.msgid.in_(list(known)))
            ).all()
            if rows:
                session.execute(update(Delivery), [
                    {"broadcast_id": b, "openid": o, "status": part[m][0][:64]} for b, o, m in rows
                ])
        stale = [m for m, (_, stamp) in part.items() if m not in known and time.time() - stamp > FINISH_MAX_AGE]
        if known or stale:
            deps.redis.hdel(key, *known, *stale)
        applied += len(rows)
    return applied


def sweep(deps: Deps) -> dict[str, object]:
    """The periodic safety net: restart lost expansions, re-queue chunks of dead workers, resume, fold statuses."""
    with deps.sessions() as session:
        rows = session.execute(select(Broadcast.id, Broadcast.state).where(Broadcast.state.in_(RUNNING))).all()
    restarted = []
    for broadcast_id, state in rows:
        if state == "starting" and _expansion_lost(deps, broadcast_id):
            enqueue_expand(deps, broadcast_id)
            restarted.append(broadcast_id)
        elif state == "sending":
            pump(deps, broadcast_id)
    return {"restarted": restarted, "resumed": resume_due(deps), "statuses": fold_finished(deps)}


def _expansion_lost(deps: Deps, broadcast_id: int) -> bool:
    if deps.redis.exists(Keys(deps.prefix, broadcast_id).lease("expand")):
        return False
    job = Job.fetch_many([expand_job_id(broadcast_id)], connection=deps.redis)[0]
    return job is None or job.get_status(refresh=False) not in WAITING

