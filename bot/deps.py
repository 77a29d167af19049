"""One wiring function for web, CLI and workers: everything a service function needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import db
from bot.config import Settings
from bot.identity import Identity
from bot.knowledge import Knowledge
from bot.redis_conn import connect
from bot.session import ChatState
from bot.wechat import WeChatClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """Settings plus the process's clients and connections, built once per process."""

    settings: Settings
    redis: redis.Redis
    engine: Engine
    sessions: sessionmaker[Session]
    wechat: WeChatClient
    knowledge: Knowledge
    chat: ChatState
    queue: Queue
    identity: Identity
    pay: Any = None

    @property
    def prefix(self) -> str:
        """The Redis key prefix of this deployment."""
        return self.settings.redis_prefix


def build_deps(settings: Settings, *, migrate: bool = True) -> Deps:
    """Connect to Redis and the database, run migrations, and create the platform clients."""
    redis_client = connect(settings.redis_url)
    engine = db.make_engine(settings.database_url)
    if migrate:
        db.migrate(engine)
    wechat = WeChatClient(
        settings.app_id,
        settings.app_secret,
        redis_client,
        settings.redis_prefix,
        api_base_url=settings.api_base_url,
        timeout=settings.api_timeout,
    )
    knowledge = Knowledge(settings.knowledge_dir, settings.index_dir, settings.embedding_model)
    pay = None
    if settings.pay is not None:
        from bot.pay import make_pay_client

        pay = make_pay_client(settings)
    return Deps(
        settings=settings,
        redis=redis_client,
        engine=engine,
        sessions=db.make_sessions(engine),
        wechat=wechat,
        knowledge=knowledge,
        chat=ChatState(redis_client, settings.redis_prefix),
        queue=Queue(settings.queue_name, connection=redis_client),
        identity=Identity(settings.secret_key),
        pay=pay,
    )
