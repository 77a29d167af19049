"""Database models: subscribers, signals, unanswered messages, the sales ledger and broadcasts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC now, the one time representation stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Subscriber(Base):
    """A follower of the official account, kept current by events and `users sync`."""

    __tablename__ = "subscribers"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    subscribed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    scene: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tags: Mapped[list[int]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Signal(Base):
    """One thing a subscriber did that says what they like: asked, opened, bought."""

    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_openid_created", "openid", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Unanswered(Base):
    """A message the knowledge base could not answer outright, kept for admins (`python -m bot kb gaps`)."""

    __tablename__ = "unanswered"
    __table_args__ = (Index("ix_unanswered_asker_created", "asker", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    asker: Mapped[str] = mapped_column(String(16))          # the subscriber's pseudonym (bot.logs.hash_openid)
    text: Mapped[str] = mapped_column(String(500))
    reply: Mapped[str] = mapped_column(String(16))          # "fallback" | "clarify" | "no_content" | "disputed"
    topic: Mapped[str | None] = mapped_column(String(200), nullable=True)   # what a content request asked for
    candidates: Mapped[list[str]] = mapped_column(JSON, default=list)      # the entries a clarify offered, or
                                                                           # the one whose answer was disputed
    picked: Mapped[str | None] = mapped_column(String(128), nullable=True)  # ... and the one chosen
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Product(Base):
    """A paid item as sold: mirrors the KB at order time, price in fen."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256))
    price_fen: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    """A purchase attempt: CREATED, then PAID or CLOSED."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_openid_item_state", "openid", "item_id", "state"),)

    out_trade_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    amount_fen: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="CREATED")
    channel: Mapped[str] = mapped_column(String(16))
    prepay_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    transaction_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    needs_refund: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_no: Mapped[str | None] = mapped_column(String(64), nullable=True)      # out_refund_no once requested
    refund_state: Mapped[str | None] = mapped_column(String(16), nullable=True)   # WeChat Pay's refund status
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    notice: Mapped[str | None] = mapped_column(String(16), nullable=True)        # how the buyer was told, once
    noticed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Entitlement(Base):
    """The right of one subscriber to read one item; granted exactly once."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("openid", "item_id", name="uq_entitlement_openid_item"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str] = mapped_column(String(128), index=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PaymentEvent(Base):
    """Append-only log of every payment notify received, verified or not."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    out_trade_no: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)


class Broadcast(Base):
    """A creator's notice to an audience, delivered by workers."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="template")
    template_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    article_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    audience: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    schedule_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    msg_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Delivery(Base):
    """One broadcast to one subscriber: claimed before the send, recorded after it."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_broadcast_state", "broadcast_id", "state"),
        Index("ix_deliveries_broadcast_chunk", "broadcast_id", "chunk"),
    )

    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    errcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    msgid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
