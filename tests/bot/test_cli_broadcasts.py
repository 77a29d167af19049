"""`python -m bot users sync` and `python -m bot broadcast …` drive the same services as the admin API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings
from bot.sandbox import SandboxClient


def environment(settings: Settings) -> dict[str, str]:
    """The variables a deployment would set, pointing at the test's Redis, database and sandbox."""
    return {
        "REDIS_URL": settings.redis_url, "REDIS_PREFIX": settings.redis_prefix, "RQ_QUEUE": settings.queue_name,
        "DATABASE_URL": settings.database_url, "WECHAT_API_BASE_URL": settings.api_base_url,
        "WECHAT_APP_ID": settings.app_id, "WECHAT_APP_SECRET": settings.app_secret,
        "WECHAT_TOKEN": settings.wechat_token, "KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "INDEX_DIR": str(settings.index_dir), "VAR_DIR": str(settings.var_dir), "SECRET_KEY": settings.secret_key,
        "LOG_LEVEL": "WARNING",
    }


def test_sync_create_preview_start_and_status_from_the_command_line(
    settings: Settings, deps: Any, sandbox: SandboxClient, worker: Any, tmp_path: Path
) -> None:
    sandbox.seed_users(openids=["o-cli-1", "o-cli-2", "o-cli-tester"])
    runner = CliRunner()
    env = environment(settings)
    synced = runner.invoke(cli, ["users", "sync"], env=env, catch_exceptions=False)
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout.strip().splitlines()[-1])["followers"] == 3
    spec = tmp_path / "update.yaml"
    spec.write_text(
        "name: 第 4 课更新\ntemplate_id: course_update\ndata:\n  thing1: 第 4 课已上线\n"
        "article_id: career-growth-course\naudience:\n  openids: [o-cli-1, o-cli-2]\n",
        encoding="utf-8",
    )
    created = runner.invoke(cli, ["broadcast", "create", str(spec)], env=env, catch_exceptions=False)
    assert created.exit_code == 0, created.output
    broadcast_id = json.loads(created.stdout)["id"]
    preview = runner.invoke(cli, ["broadcast", "preview", str(broadcast_id), "o-cli-tester"], env=env)
    assert json.loads(preview.stdout)["results"]["o-cli-tester"]["state"] == "sent"
    started = runner.invoke(cli, ["broadcast", "start", str(broadcast_id)], env=env)
    assert json.loads(started.stdout)["state"] == "starting"
    worker()
    followed = runner.invoke(cli, ["broadcast", "status", str(broadcast_id)], env=env)
    assert followed.exit_code == 0, followed.output
    assert json.loads(followed.stdout.strip().splitlines()[-1]) == {
        "state": "done", "total": 2, "sent": 2, "failed": 0, "skipped": 0, "unknown": 0}
    assert sandbox.summary("TM-COURSE-UPDATE-DEMO")["counts"] == {"o-cli-1": 1, "o-cli-2": 1, "o-cli-tester": 1}
    again = runner.invoke(cli, ["broadcast", "start", str(broadcast_id)], env=env)
    assert again.exit_code == 5 and "is done" in again.output
    cancelled = runner.invoke(cli, ["broadcast", "cancel", str(broadcast_id)], env=env)
    assert cancelled.exit_code == 5 and "already done" in cancelled.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntemplate_id: t\ndata: {a: b}\naudience: {all: true}\ncolour: red\n", encoding="utf-8")
    refused = runner.invoke(cli, ["broadcast", "create", str(bad)], env=env)
    assert refused.exit_code == 2 and "unknown field" in refused.output


def test_a_broadcast_file_that_is_not_utf8_or_not_yaml_is_one_line(settings: Settings, tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: café".encode("latin-1"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ndata: [unclosed\n", encoding="utf-8")
    for file, message in ((latin, "not UTF-8"), (broken, "not valid YAML")):
        result = CliRunner().invoke(cli, ["broadcast", "create", str(file)], env=environment(settings))
        assert result.exit_code == 1 and message in result.output, result.output


def test_a_command_meeting_redis_or_the_database_down_says_so_in_one_line() -> None:
    import click
    import redis
    from sqlalchemy import create_engine

    from bot.cli import Group
    from tests.conftest import PG_DSN

    @click.group(cls=Group)
    def commands() -> None:
        """Commands as bot.cli runs them."""

    @commands.command()
    def ping() -> None:
        redis.Redis.from_url("redis://127.0.0.1:1/0").ping()

    @commands.command()
    def query() -> None:
        missing = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0] + "/no_such_db_kp"
        create_engine(missing).connect()

    down = CliRunner().invoke(commands, ["ping"])
    assert down.exit_code == 8 and "Redis is unreachable" in down.output
    no_db = CliRunner().invoke(commands, ["query"])
    assert no_db.exit_code == 8 and "the database is unreachable" in no_db.output and "no_such_db_kp" in no_db.output
