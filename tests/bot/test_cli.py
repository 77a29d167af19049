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
