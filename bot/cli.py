"""Command-line interface: workers, sandbox, terminal chat, KB and index tools, evaluation, benchmarks."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from bot.config import ConfigError, Settings
from bot.errors import ServiceError, Unavailable, exit_code_of


def settings() -> Settings:
    """Settings from the environment, or a one-line error and exit code 2."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def deps() -> Any:
    """Deps for commands that touch Redis, the database or the platform."""
    from bot import logs
    from bot.deps import build_deps

    current = settings()
    logs.setup(current.log_level)
    return build_deps(current)


class Group(click.Group):
    """Maps ServiceError to its exit code and a one-line message."""

    def invoke(self, ctx: click.Context) -> Any:
        from redis.exceptions import ConnectionError as RedisDown
        from redis.exceptions import TimeoutError as RedisSlow
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exit_code_of(exc))
        except (RedisDown, RedisSlow) as exc:      # a dependency down: say which, not a traceback
            self.unavailable(f"Redis is unreachable ({type(exc).__name__}); is REDIS_URL right and Redis up?")
        except OperationalError as exc:
            reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0][:160]
            self.unavailable(f"the database is unreachable ({reason}); is DATABASE_URL right and the database up?")

    @staticmethod
    def unavailable(message: str) -> None:
        click.echo(f"error: {message}", err=True)
        sys.exit(exit_code_of(Unavailable(message)))


@click.group(cls=Group)
def cli() -> None:
    """Knowledge-payment WeChat official account service."""


@cli.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker (with the scheduler and periodic jobs)."""
    from workers.runner import run_forever

    current = deps()
    current.knowledge.reload()
    run_forever(current, burst=burst)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--keys", "keys_dir", default="var/sandbox-keys", show_default=True, type=click.Path(path_type=Path))
def sandbox(host: str, port: int, keys_dir: Path) -> None:
    """Run the local fake of the WeChat platform and WeChat Pay."""
    from bot.config import SANDBOX_APP_ID, SANDBOX_APP_SECRET
    from bot.sandbox import dev_config, serve

    config = dev_config(keys_dir, app_id=SANDBOX_APP_ID, app_secret=SANDBOX_APP_SECRET)
    click.echo(f"sandbox on http://{host}:{port} (keys in {keys_dir})")
    serve(config, host=host, port=port)


@cli.command()
@click.option("--url", default=lambda: f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/wechat",
              show_default="http://127.0.0.1:$PORT/wechat (8000)", help="The callback URL.")
@click.option("--sandbox", "sandbox_url", default=lambda: f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT') or 8001}",
              show_default="http://127.0.0.1:$SANDBOX_PORT (8001)", help="The sandbox, where late replies arrive.")
@click.option("--openid", default="o-terminal-user", show_default=True)
def chat(url: str, sandbox_url: str, openid: str) -> None:
    """Chat with the account as a subscriber from the terminal."""
    from bot.terminal import run_chat

    run_chat(settings(), url, sandbox_url, openid)


@cli.group()
def kb() -> None:
    """Knowledge-base tools."""


@kb.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too (e.g. in the KB repository's own CI).")
def kb_check(directory: Path | None, strict: bool) -> None:
    """Validate a KB folder; print each problem as path:line: message (warnings fail it only with --strict)."""
    from index.check import parse_kb

    root = directory or Path(_env_knowledge_dir())
    if not root.is_dir():
        raise click.ClickException(f"{root} is not a directory")
    parsed = parse_kb(root)
    for problem in parsed.problems + parsed.warnings:
        click.echo(str(problem))
    warned = f", {len(parsed.warnings)} warning(s)" if parsed.warnings else ""
    if parsed.problems or (strict and parsed.warnings):
        click.echo(f"{len(parsed.problems)} problem(s){warned} in {root}", err=True)
        sys.exit(1)
    click.echo(f"{root}: OK{warned}")


@kb.command("gaps")
@click.option("--days", default=30, show_default=True, help="How far back to look (at most 90).")
@click.option("--top", default=20, show_default=True, help="Longest list shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def kb_gaps(days: int, top: int, as_json: bool) -> None:
    """What subscribers asked that the knowledge base could not answer, and phrasings to add to its entries."""
    from bot.kbreport import gaps_lines
    from handlers.gaps import report
    from index import KBInvalid, load_kb

    current = deps()
    try:
        kb_now = load_kb(current.settings.knowledge_dir)
    except KBInvalid as exc:
        raise click.ClickException(str(exc)) from None
    found = report(current, kb_now, days, top)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    for line in gaps_lines(found):
        click.echo(line)


@kb.command("explain")
@click.argument("messages", nargs=-1, required=True)
def kb_explain(messages: tuple[str, ...]) -> None:
    """How the account reads each message: its reply, the best FAQ entries and items, and how far from the gates."""
    from bot.kbreport import explain_lines

    current = settings()
    click.echo(f"loading the index of {current.knowledge_dir} (built first when missing)", err=True)
    engine = _load_knowledge(current).engine
    for n, text in enumerate(messages):
        if n:
            click.echo()
        click.echo("\n".join(explain_lines(engine, text, engine.understand(text))))


def _load_knowledge(current: Settings, **reload: Any) -> Any:
    """This environment's KB with its index loaded or built (`reload`: Knowledge.reload's options); when it
    fails its check, its problems are printed and the command fails."""
    from bot.knowledge import Knowledge

    knowledge = Knowledge(current.knowledge_dir, current.index_dir, current.embedding_model)
    result = knowledge.reload(**reload)
    if not result.ok:
        for problem in result.problems:
            click.echo(problem)
        raise click.ClickException("knowledge base failed its check")
    return knowledge


def _env_knowledge_dir() -> str:
    import os

    from bot.config import ROOT

    return os.environ.get("KNOWLEDGE_DIR") or str(ROOT / "knowledge")


@cli.group()
def index() -> None:
    """Search-index tools."""


@index.command("build")
def index_build() -> None:
    """Build (or confirm) the index for the current KB ahead of time, with a progress bar per embedding stage."""
    from bot.progress import build_stages
    from index.confusion import confusable

    current = settings()
    with build_stages() as progress:
        knowledge = _load_knowledge(current, force=True, progress=progress)
    click.echo(f"index ready in {current.index_dir} (fingerprint {knowledge.engine.kb.fingerprint[:12]})")
    pairs = confusable(knowledge.engine)
    if pairs:
        click.echo(f"{len(pairs)} pair(s) of FAQ entries whose phrasings look alike; subscribers may get "
                   "「你是不是想问」 or the wrong one (merge them, or make each question say what differs):")
        for pair in pairs:
            click.echo("  " + pair.line())


@cli.command("eval")
@click.argument("kb_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("queries", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="List the queries that went wrong.")
@click.option("--one-subscriber", is_flag=True,
              help="Send every query from the same subscriber (history builds up) instead of a fresh one each.")
@click.option("--url", default=None, metavar="URL",
              help="Score a running service instead, e.g. http://127.0.0.1:8000/wechat (signed with this "
                   "environment's WECHAT_TOKEN / WECHAT_AES_KEY / WECHAT_APP_ID; it must serve KB_DIR).")
def evaluate(kb_dir: Path, queries: Path | None, as_json: bool, verbose: bool, one_subscriber: bool,
             url: str | None) -> None:
    """FAQ accuracy, out-of-scope false answers and recommendation nDCG@5 on a labelled KB, via the callback."""
    import hashlib
    import json
    import tempfile
    import uuid

    from bot.evalchat import callback_respond, http_respond
    from bot.wire import Signer
    from index import KBInvalid, load_kb
    from index.evaluate import evaluate as run_eval
    from index.evaluate import load_queries

    base = settings()
    queries = queries or kb_dir / "queries.jsonl"
    if not queries.is_file():
        raise click.ClickException(f"no labelled queries: {queries} does not exist (give QUERIES, a queries.jsonl "
                                   "as in ../shared/devkb)")
    try:
        labelled = load_queries(queries)
        kb = load_kb(kb_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except KBInvalid as exc:
        raise click.ClickException(f"{kb_dir} fails its check: " + "; ".join(map(str, exc.problems[:3]))) from None
    unknown = sorted({i for q in labelled for i in [q.get("expect"), *q.get("relevant", {})]
                      if i and i not in kb.faqs and i not in kb.items})
    if unknown:
        raise click.ClickException(f"{queries} labels ids that {kb_dir} does not have: {', '.join(unknown[:10])}")
    subscriber = f"o-eval-{uuid.uuid4().hex[:12]}" if one_subscriber else None
    signer = Signer(base.wechat_token, base.aes_key, base.app_id)
    if url:
        respond = http_respond(url, signer, kb, subscriber)
    else:
        from app import create_app

        scratch = Path(tempfile.mkdtemp(prefix="kb-eval-"))
        current = base.with_(
            knowledge_dir=kb_dir.resolve(),
            # an index of its own per KB folder: never the one (or the last good copy) the service serves from
            index_dir=base.index_dir / "eval" / hashlib.sha1(str(kb_dir.resolve()).encode()).hexdigest()[:12],
            database_url=f"sqlite:///{scratch / 'eval.db'}",
            redis_prefix=f"{base.redis_prefix}eval:{uuid.uuid4().hex[:8]}:",
            log_level="WARNING",
        )
        respond = callback_respond(create_app(current, watch=False), signer, subscriber)
    report = run_eval(kb_dir, queries, respond)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        click.echo("\n".join(report.lines()))
    if verbose:
        for failure in report.failures:
            click.echo(json.dumps(failure, ensure_ascii=False))


@cli.group()
def menu() -> None:
    """The account's custom menu."""


@menu.command("push")
def menu_push() -> None:
    """Publish the menu from account.yaml to the platform."""
    from wechatpy.exceptions import WeChatClientException

    from bot.errors import from_wechat

    current = deps()
    menu_json = current.knowledge.engine.kb.account.menu
    try:
        current.wechat.menu.create(menu_json)
    except WeChatClientException as exc:
        raise from_wechat(exc) from None
    click.echo(f"menu published ({len(menu_json.get('button', []))} buttons)")


@cli.group()
def db() -> None:
    """Database tools."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from bot.db import make_engine, migrate

    migrate(make_engine(settings().database_url))
    click.echo("database schema is current")


@cli.group()
def orders() -> None:
    """Sales orders."""


@orders.command("reconcile")
def orders_reconcile() -> None:
    """Query every order open for over 5 minutes at WeChat Pay and grant those paid without a notify; apply for
    (or follow up) every refund not yet final."""
    from handlers.reconcile import reconcile
    from handlers.refunds import refund_pending

    current = deps()
    counts = reconcile(current)
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "no open orders"
    click.echo(f"reconciled: {summary}")
    refunds = refund_pending(current)
    click.echo("refunds: " + (", ".join(f"{state} {n}" for state, n in sorted(refunds.items())) or "none pending"))


# subscribers and broadcasts ---------------------------------------------------


@cli.group()
def users() -> None:
    """Subscribers of the account."""


@users.command("sync")
def users_sync() -> None:
    """Load every follower from the platform (user/get + user/info), marking who left."""
    from handlers.subscribers import sync

    result = sync(deps(), progress=lambda seen, total: click.echo(f"{seen}/{total} followers", err=True))
    click.echo(json.dumps(result.as_dict()))


@cli.group()
def broadcast() -> None:
    """Broadcasts to subscribers: create, preview, start, cancel, status."""


@broadcast.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def broadcast_create(file: Path) -> None:
    """Create a broadcast from a YAML file with the admin API's fields; prints its id."""
    import yaml

    from handlers.broadcasts import create

    try:
        body = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise click.ClickException(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if isinstance(body, dict) and hasattr(body.get("schedule_at"), "isoformat"):
        body["schedule_at"] = body["schedule_at"].isoformat()
    click.echo(json.dumps(create(deps(), body)))


@broadcast.command("preview")
@click.argument("broadcast_id", type=int)
@click.argument("openids", nargs=-1, required=True)
def broadcast_preview(broadcast_id: int, openids: tuple[str, ...]) -> None:
    """Send the broadcast to test subscribers only."""
    from handlers.broadcasts import preview

    click.echo(json.dumps(preview(deps(), broadcast_id, list(openids)), ensure_ascii=False))


@broadcast.command("start")
@click.argument("broadcast_id", type=int)
def broadcast_start(broadcast_id: int) -> None:
    """Start sending (or schedule it when schedule_at is ahead)."""
    from handlers.broadcasts import start

    click.echo(json.dumps(start(deps(), broadcast_id), ensure_ascii=False))


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
def broadcast_cancel(broadcast_id: int) -> None:
    """Stop sending; recipients not reached yet are counted as cancelled."""
    from handlers.broadcasts import cancel

    click.echo(json.dumps(cancel(deps(), broadcast_id), ensure_ascii=False))


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@click.option("--once", is_flag=True, help="Print the status as JSON and exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between refreshes.")
def broadcast_status(broadcast_id: int, once: bool, interval: float) -> None:
    """Follow a broadcast with a progress bar (rate and ETA) until it stops; --once prints JSON."""
    from bot.progress import follow
    from handlers.broadcasts import status

    current = deps()
    if once:
        click.echo(json.dumps(status(current, broadcast_id), ensure_ascii=False))
        return
    final = follow(lambda: status(current, broadcast_id), interval)
    click.echo(json.dumps({k: final[k] for k in ("state", "total", "sent", "failed", "skipped", "unknown")}))


@cli.group()
def bench() -> None:
    """Benchmarks that start their own servers on loopback."""


@bench.command("callback")
@click.option("--requests", default=4000, show_default=True, help="Messages per server.")
@click.option("--concurrency", default=16, show_default=True, help="Concurrent keep-alive connections.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per gunicorn worker (gthread).")
@click.option("--time-limit", default=120.0, show_default=True, help="Seconds per server, at most.")
def bench_callback(requests: int, concurrency: int, workers: int, threads: int, time_limit: float) -> None:
    """Signed text messages at the service under gunicorn next to a bare WeRoBot echo: req/s, p50/p99."""
    from bot.config import ROOT

    sys.path.insert(0, str(ROOT))
    from bench.callback import run

    run(requests=requests, concurrency=concurrency, workers=workers, threads=threads, time_limit=time_limit)


def main() -> None:
    """Entry point."""
    cli(prog_name="python -m bot")
