"""Loading the shipped demo KB, account defaults and overrides, fingerprint."""

from __future__ import annotations

from pathlib import Path

from index import load_kb
from index.account import default_account

from .conftest import DEMO


def test_demo_kb_loads() -> None:
    kb = load_kb(DEMO)
    assert len(kb.faqs) == 40 and len(kb.items) == 60
    item = kb.items["py-asyncio-intro"]
    assert item.price_fen == 1990 and item.kind == "article"
    assert item.preview_md and item.paid_md and "paywall" not in item.paid_md
    assert kb.account.name == "码上成长记"
    keys = [b.get("key") for b in kb.account.menu["button"]]
    assert "RECOMMEND" in keys
    assert kb.account.templates["purchase"]


def test_defaults_without_account_yaml(kb_copy: Path) -> None:
    kb = load_kb(kb_copy)
    assert kb.account == default_account()
    assert any(b.get("key") == "RECOMMEND" for b in kb.account.menu["button"])
    for text in (kb.account.welcome, kb.account.fallback, kb.account.no_content, kb.account.media_reply):
        assert text


def test_account_overrides_some_fields(kb_copy: Path) -> None:
    (kb_copy / "account.yaml").write_text("fallback: 我不知道\ntemplates: {promotion: T1}\n", encoding="utf-8")
    kb = load_kb(kb_copy)
    assert kb.account.fallback == "我不知道"
    assert kb.account.templates["promotion"] == "T1"
    assert kb.account.welcome == default_account().welcome


def test_userdict_and_fingerprint(kb_copy: Path) -> None:
    before = load_kb(kb_copy).fingerprint
    (kb_copy / "README.md").write_text("ignored", encoding="utf-8")
    assert load_kb(kb_copy).fingerprint == before
    (kb_copy / "userdict.txt").write_text("# comment\n窗口函数 100 n\n数据清洗\n", encoding="utf-8")
    kb = load_kb(kb_copy)
    assert kb.userdict == ["窗口函数", "数据清洗"]
    assert kb.fingerprint != before
