"""Admins edit the KB as files: valid edits go live without a restart, invalid ones are rejected and logged."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bot.config import ROOT
from bot.wire import Signer, text_message
from tests.conftest import TOKEN


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped KB to edit."""
    target = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def ask(client: Any, text: str) -> str:
    signer = Signer(TOKEN)
    query, body = signer.request(text_message("o-admin", text), "plain")
    reply = signer.read_reply(client.post(f"/wechat?{query}", data=body).data)
    return str(reply["Content"]) if reply else ""


def first_faq(kb_dir: Path) -> tuple[Path, str, str]:
    """(file, question, answer first line) of the first FAQ entry."""
    import yaml

    path = sorted((kb_dir / "faq").glob("*.yaml"))[0]
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))[0]
    return path, entry["question"], entry["answer"].strip().splitlines()[0].strip()


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_valid_edit_is_live_within_five_seconds(settings: Any, kb_copy: Path) -> None:
    app = create_app(settings.with_(knowledge_dir=kb_copy, kb_watch_interval=0.2))
    client = app.test_client()
    path, question, first_line = first_faq(kb_copy)
    assert first_line in ask(client, question)
    path.write_text(path.read_text(encoding="utf-8").replace(first_line, "新的答复：请联系客服处理。", 1),
                    encoding="utf-8")
    assert wait_for(lambda: "新的答复：请联系客服处理。" in ask(client, question))
    app.extensions["deps"].knowledge.stop()


def test_invalid_edit_is_rejected_and_the_last_good_kb_keeps_serving(
    settings: Any, kb_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.with_(knowledge_dir=kb_copy, kb_watch_interval=0.2))
    client = app.test_client()
    path, question, first_line = first_faq(kb_copy)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(first_line, "坏的编辑", 1) + "\n- id: [unclosed\n", encoding="utf-8")
    assert wait_for(lambda: "knowledge base edit rejected" in caplog.text)
    assert first_line in ask(client, question)
    app.extensions["deps"].knowledge.stop()


def test_reload_endpoint_needs_the_admin_token_and_returns_the_check(settings: Any, kb_copy: Path) -> None:
    app = create_app(settings.with_(knowledge_dir=kb_copy), watch=False)
    client = app.test_client()
    assert client.post("/admin/kb/reload").status_code == 401
    assert client.post("/admin/kb/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": "Bearer admin-secret"}
    ok = client.post("/admin/kb/reload", headers=auth)
    assert ok.status_code == 200 and ok.get_json()["ok"] is True and ok.get_json()["warnings"] == []
    faq = sorted((kb_copy / "faq").glob("*.yaml"))[0]
    faq.write_text(faq.read_text(encoding="utf-8") + "\n- id: extra\n  question: q\n  answer: a\n  tag: [x]\n",
                   encoding="utf-8")
    warned = client.post("/admin/kb/reload", headers=auth).get_json()
    assert warned["ok"] is True and warned["changed"] is True
    assert [w.split(": ", 1)[1] for w in warned["warnings"]] == [
        "warning: unknown field 'tag' in an FAQ entry is ignored (did you mean 'tags'?)"]
    article = sorted((kb_copy / "articles").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8").replace("<!-- paywall -->", ""), encoding="utf-8")
    bad = client.post("/admin/kb/reload", headers=auth)
    body = bad.get_json()
    assert bad.status_code == 422 and body["ok"] is False
    assert any(str(article) in problem and "paywall" in problem for problem in body["problems"])
    again = client.post("/admin/kb/reload", headers=auth)     # the folder is unchanged, and still fails
    assert again.status_code == 422 and again.get_json()["problems"] == body["problems"]
    assert "fails its check" in client.get("/healthz").get_json()["knowledge"]


def test_admin_routes_are_closed_without_a_configured_token(settings: Any, kb_copy: Path) -> None:
    app = create_app(settings.with_(knowledge_dir=kb_copy, admin_token=None), watch=False)
    response = app.test_client().post("/admin/kb/reload", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403


def test_an_emptied_folder_is_rejected_and_the_last_good_kb_keeps_serving(settings: Any, kb_copy: Path,
                                                                          tmp_path: Path) -> None:
    app = create_app(settings.with_(knowledge_dir=kb_copy), watch=False)
    client = app.test_client()
    _, question, first_line = first_faq(kb_copy)
    for folder in ("faq", "articles"):
        shutil.move(kb_copy / folder, tmp_path / folder)
    rejected = client.post("/admin/kb/reload", headers={"Authorization": "Bearer admin-secret"})
    assert rejected.status_code == 422 and "no FAQ entries" in rejected.get_json()["problems"][0]
    assert first_line in ask(client, question)
