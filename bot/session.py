"""Short-lived chat state per subscriber in Redis (numbered choices), tolerant of Redis outages."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

log = logging.getLogger(__name__)
CHOICE_TTL = 300


class ChatState:
    """What a subscriber was last offered, so that replying "2" picks the second entry."""

    def __init__(self, redis_client: redis.Redis, prefix: str) -> None:
        self.redis = redis_client
        self.prefix = prefix + "chat:"

    def offer(self, openid: str, kind: str, ids: list[str]) -> None:
        """Remember a numbered list (kind "faq" or "items") for 5 minutes."""
        try:
            self.redis.set(self.prefix + openid, json.dumps({"kind": kind, "ids": ids}), ex=CHOICE_TTL)
        except redis.RedisError:
            log.warning("redis unavailable: numbered choices are not remembered")

    def forget(self, openid: str) -> None:
        """Drop the list offered, so a number no longer picks from it."""
        try:
            self.redis.delete(self.prefix + openid)
        except redis.RedisError:
            log.warning("redis unavailable: a declined list is not forgotten")

    def offered(self, openid: str) -> dict[str, Any] | None:
        """The last numbered list offered, if still fresh."""
        try:
            raw = self.redis.get(self.prefix + openid)
        except redis.RedisError:
            return None
        return json.loads(raw) if raw else None
