"""The command line: every command documented, `kb check` printing path:line problems with a failing exit."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.config import ROOT


def test_help_lists_every_command_with_a_sentence() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("worker", "sandbox", "chat", "kb", "index", "menu", "eval", "db"):
        line = next(line for line in result.output.splitlines() if line.strip().startswith(command + " "))
        assert len(line.split(None, 1)[1]) > 10


def test_kb_check_passes_the_shipped_kb() -> None:
    result = CliRunner().invoke(cli, ["kb", "check", str(ROOT / "knowledge")])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_kb_check_reports_each_problem_as_path_line_message(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb)
    faq = sorted((kb / "faq").glob("*.yaml"))[0]
    faq.write_text(faq.read_text(encoding="utf-8") + "\n- id: Bad_ID\n  question: q\n  answer: a\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "check", str(kb)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(faq))]
    assert lines and all(line.split(":")[1].isdigit() for line in lines)


def test_kb_check_prints_warnings_and_fails_on_them_only_when_strict(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb)
    faq = sorted((kb / "faq").glob("*.yaml"))[0]
    faq.write_text(faq.read_text(encoding="utf-8") + "\n- id: extra\n  question: q\n  answr: a\n  answer: a\n",
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "check", str(kb)])
    assert result.exit_code == 0, result.output
    assert "warning: unknown field 'answr' in an FAQ entry is ignored (did you mean 'answer'?)" in result.output
    assert result.output.rstrip().endswith(f"{kb}: OK, 1 warning(s)")
    strict = CliRunner().invoke(cli, ["kb", "check", "--strict", str(kb)])
    assert strict.exit_code == 1 and "0 problem(s), 1 warning(s)" in strict.output


def cli_env(settings: object, tmp_path: Path) -> dict[str, str]:
    """Environment for CLI commands that talk to the sandbox, isolated like the test's settings."""
    return {
        "WECHAT_API_BASE_URL": settings.api_base_url,  # type: ignore[attr-defined]
        "REDIS_PREFIX": settings.redis_prefix,  # type: ignore[attr-defined]
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "INDEX_DIR": str(settings.index_dir),  # type: ignore[attr-defined]
        "VAR_DIR": str(tmp_path / "var"),
        "WECHAT_TOKEN": "test-token",
        "WECHAT_AES_KEY": settings.aes_key,  # type: ignore[attr-defined]
    }


def test_menu_push_publishes_the_account_menu(settings: object, sandbox: object, tmp_path: Path) -> None:
    from index import load_kb

    result = CliRunner().invoke(cli, ["menu", "push"], env=cli_env(settings, tmp_path))
    assert result.exit_code == 0, result.output
    created = [c for c in sandbox.calls("/cgi-bin/menu/create")]  # type: ignore[attr-defined]
    assert len(created) == 1
    assert created[0]["body"]["button"] == load_kb(ROOT / "knowledge").account.menu["button"]


def test_terminal_chat_signs_messages_and_shows_replies(settings: object, live: object, tmp_path: Path) -> None:
    env = cli_env(settings, tmp_path)
    result = CliRunner().invoke(
        cli,
        ["chat", "--url", f"{live.url}/wechat", "--sandbox", settings.api_base_url, "--openid", "o-term"],  # type: ignore[attr-defined]
        input="今天天气怎么样\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    replies = [line for line in result.output.splitlines() if "account>" in line]
    assert len(replies) == 2 and "(no reply)" not in result.output


def test_index_build_shows_a_bar_per_embedding_stage_and_reuses_the_index(tmp_path: Path) -> None:
    import uuid

    kb = tmp_path / "kb"
    (kb / "faq").mkdir(parents=True)
    (kb / "articles").mkdir()
    shutil.copy(sorted((ROOT / "knowledge" / "faq").glob("*.yaml"))[0], kb / "faq")
    for article in sorted((ROOT / "knowledge" / "articles").glob("*.md"))[:3]:
        shutil.copy(article, kb / "articles")
    fresh = uuid.uuid4().hex[:8]           # a phrasing no earlier test embedded, so this build has work to show
    entry = f"- id: extra-{fresh}\n  question: 暗号{fresh}是什么意思？\n  answer: 这是一个测试用的条目。\n"
    (kb / "faq" / "extra.yaml").write_text(entry, encoding="utf-8")
    env = {"KNOWLEDGE_DIR": str(kb), "INDEX_DIR": str(tmp_path / "index"), "VAR_DIR": str(tmp_path / "var")}
    first = CliRunner().invoke(cli, ["index", "build"], env=env)
    assert first.exit_code == 0, first.output
    assert "faq phrasings" in first.output and "index ready" in first.output
    again = CliRunner().invoke(cli, ["index", "build"], env=env)
    assert again.exit_code == 0 and "faq phrasings" not in again.output


def test_kb_explain_shows_the_reply_the_candidates_and_where_they_are_written(settings: object) -> None:
    from index import load_kb
    from tests.bot.test_cli_broadcasts import environment

    kb = load_kb(ROOT / "knowledge")
    question = kb.faqs["refund-how"].question
    result = CliRunner().invoke(cli, ["kb", "explain", question, "今天天气怎么样", "有没有考研数学的资料",
                                      "你是机器人吧 哈哈"], env=environment(settings))  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    first, off_topic, request, small_talk = result.output.split("\n\n")
    assert "Reply: the answer of refund-how" in first
    top = next(line for line in first.splitlines() if line.startswith("  1. "))
    assert f"refund-how  {question}  faq/refund.yaml:" in top
    assert "Reply: the fallback text" in off_topic and "under the gate" in off_topic
    assert "Reply: no such content" in request and "of the topic 「考研数学」" in request
    assert "Reply: the fallback text (small talk about the bot itself)" in small_talk


def test_eval_keeps_off_the_served_index_and_explains_missing_or_broken_queries(settings: object,
                                                                                 tmp_path: Path) -> None:
    import json

    from tests.bot.test_cli_broadcasts import environment

    kb = tmp_path / "kb"
    (kb / "faq").mkdir(parents=True)
    (kb / "articles").mkdir()
    faq = sorted((ROOT / "knowledge" / "faq").glob("*.yaml"))[0]
    shutil.copy(faq, kb / "faq")
    for article in sorted((ROOT / "knowledge" / "articles").glob("*.md"))[:3]:
        shutil.copy(article, kb / "articles")
    env = {**environment(settings), "INDEX_DIR": str(tmp_path / "index")}  # type: ignore[arg-type]
    missing = CliRunner().invoke(cli, ["eval", str(kb)], env=env)
    assert missing.exit_code != 0 and "no labelled queries" in missing.output and "Traceback" not in missing.output
    (kb / "queries.jsonl").write_text('{"q": "退款", "type": "faq"}\n', encoding="utf-8")
    broken = CliRunner().invoke(cli, ["eval", str(kb)], env=env)
    assert broken.exit_code != 0 and f"{kb / 'queries.jsonl'}:1: an faq query needs" in broken.output
    (kb / "queries.jsonl").write_text(json.dumps({"q": "退款", "type": "faq", "expect": "no-such-entry"}) + "\n",
                                      encoding="utf-8")
    unknown = CliRunner().invoke(cli, ["eval", str(kb)], env=env)
    assert unknown.exit_code != 0 and "does not have: no-such-entry" in unknown.output
    (kb / "queries.jsonl").write_text(json.dumps({"q": "今天天气怎么样", "type": "none"}) + "\n", encoding="utf-8")
    scored = CliRunner().invoke(cli, ["eval", str(kb), "--json"], env=env)
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output.strip().splitlines()[-1])["none_n"] == 1
    assert not (tmp_path / "index" / "meta.json").exists() and not (tmp_path / "index" / "last-good-kb").exists()
