"""Starting on a knowledge base that fails its check: the last good copy serves, or start-up stops clearly."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import LAST_GOOD, KnowledgeUnavailable
from bot.wire import Signer, text_message

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "支付宝能付款吗"


def _break(kb: Path) -> None:
    first = sorted((kb / "faq").glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("question:", "questio:", 1), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ask(app: Any, settings: Any, text: str) -> str:
    signer = Signer(settings.wechat_token, settings.aes_key, settings.app_id)
    query, body = signer.request(text_message("o-start", text), "plain")
    reply = signer.read_reply(app.test_client().post(f"/wechat?{query}", data=body).data)
    return str(reply["Content"]) if reply else ""


def test_a_restart_on_a_broken_kb_serves_the_last_good_copy(settings: Any, tmp_path: Path) -> None:
    from app import create_app

    kb, index_dir = tmp_path / "kb", tmp_path / "index"
    shutil.copytree(ROOT / "knowledge", kb)
    current = settings.with_(knowledge_dir=kb, index_dir=index_dir)
    good = create_app(current, watch=False)
    answer = _ask(good, current, QUESTION)
    served = good.extensions["deps"].knowledge.engine.kb
    assert any(entry.reply_text in answer for entry in served.faqs.values())
    fingerprint = served.fingerprint
    assert (index_dir / LAST_GOOD / ".fingerprint").read_text() == fingerprint

    _break(kb)
    restarted = create_app(current, watch=False)
    knowledge = restarted.extensions["deps"].knowledge
    assert knowledge.serving_copy
    assert _ask(restarted, current, QUESTION) == answer
    health = restarted.test_client().get("/healthz").get_json()
    assert health["index"] == "ready" and health["knowledge"].startswith("last good copy")

    shutil.rmtree(kb)
    shutil.copytree(ROOT / "knowledge", kb)
    assert knowledge.reload().ok and not knowledge.serving_copy
    assert restarted.test_client().get("/healthz").get_json()["knowledge"] == "current"


def test_a_first_start_on_a_broken_kb_stops_with_every_problem(settings: Any, tmp_path: Path) -> None:
    from app import create_app

    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb)
    _break(kb)
    with pytest.raises(KnowledgeUnavailable) as failure:
        create_app(settings.with_(knowledge_dir=kb, index_dir=tmp_path / "index"), watch=False)
    assert failure.value.problems and "missing required field 'question'" in str(failure.value)


def test_python_app_py_on_a_broken_kb_exits_with_the_problems_not_a_traceback(settings: Any, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb)
    _break(kb)
    env = {"PATH": "/usr/bin:/bin", "KNOWLEDGE_DIR": str(kb), "INDEX_DIR": str(tmp_path / "index"),
           "VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
           "REDIS_URL": settings.redis_url, "REDIS_PREFIX": settings.redis_prefix, "SANDBOX_PORT": str(_free_port()),
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "missing required field 'question'" in done.stderr
    assert "Traceback" not in done.stderr
