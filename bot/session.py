"""Short-lived chat state per subscriber in Redis (numbered choices, the last answer), tolerant of Redis outages."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis

log = logging.getLogger(__name__)
CHOICE_TTL = 300


class ChatState:
    """What a subscriber was last offered, so that replying "2" picks the second entry, and the FAQ answer they
    last got, so that replying 「不对」 can be told apart from a question."""

    def __init__(self, redis_client: redis.Redis, prefix: str) -> None:
        self.redis = redis_client
        self.prefix = prefix + "chat:"

    def offer(self, openid: str, kind: str, ids: list[str]) -> None:
        """Remember a numbered list (kind "faq" or "items") for 5 minutes."""
        try:
            self.redis.set(self.prefix + openid, json.dumps({"kind": kind, "ids": ids, "at": time.time()}),
                           ex=CHOICE_TTL)
        except redis.RedisError:
            log.warning("redis unavailable: numbered choices are not remembered")

    def answered(self, openid: str, faq_id: str, text: str = "", pick: int | None = None) -> None:
        """Remember for 5 minutes that the message `text` got the answer of `faq_id`, or that the answer was
        picked from a list (`pick`: the gaps record of the message that led to the list)."""
        try:
            self.redis.set(self.prefix + "answer:" + openid,
                           json.dumps({"faq_id": faq_id, "text": text, "pick": pick, "at": time.time()}),
                           ex=CHOICE_TTL)
        except redis.RedisError:
            log.warning("redis unavailable: the last answer is not remembered")

    def last_answer(self, openid: str) -> dict[str, Any] | None:
        """The last FAQ answer and the message it answered, if still fresh."""
        try:
            raw = self.redis.get(self.prefix + "answer:" + openid)
        except redis.RedisError:
            return None
        return json.loads(raw) if raw else None

    def forget(self, openid: str) -> None:
        """Drop the list offered and the last answer, so a number no longer picks from the list."""
        try:
            self.redis.delete(self.prefix + openid, self.prefix + "answer:" + openid)
        except redis.RedisError:
            log.warning("redis unavailable: a declined list is not forgotten")

    def offered(self, openid: str) -> dict[str, Any] | None:
        """The last numbered list offered, if still fresh."""
        try:
            raw = self.redis.get(self.prefix + openid)
        except redis.RedisError:
            return None
        return json.loads(raw) if raw else None
