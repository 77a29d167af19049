"""`python -m bot.sandbox`: run the WeChat sandbox in the foreground with development keys."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.sandbox.config import SandboxConfig
from bot.sandbox.keys import ensure_dev_keys
from bot.sandbox.server import serve


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--keys-dir", default="var/sandbox-keys", help="development keys (created on first use)")
    p.add_argument("--app-id", default="wxsandbox0000000")
    p.add_argument("--app-secret", default="sandbox-secret")
    p.add_argument("--mch-id", default="1900000001")
    p.add_argument("--callback-url", help="post TEMPLATESENDJOBFINISH/MASSSENDJOBFINISH events here")
    p.add_argument("--callback-token", help="WECHAT_TOKEN used to sign those events")
    p.add_argument("--openid", action="append", default=[], help="subscriber to seed (repeatable)")
    p.add_argument("--no-verify", action="store_true", help="accept Pay requests without a valid merchant signature")
    return p


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """A SandboxConfig from parsed options."""
    keys = ensure_dev_keys(args.keys_dir)
    return SandboxConfig.from_dev_keys(
        keys,
        verify_requests=not args.no_verify,
        app_id=args.app_id,
        app_secret=args.app_secret,
        mch_id=args.mch_id,
        callback_url=args.callback_url,
        callback_token=args.callback_token,
        initial_openids=tuple(args.openid),
    )


def main(argv: list[str] | None = None) -> None:
    """Print the settings that point the service at the sandbox, then serve until interrupted."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = config_from_args(args)
    keys = ensure_dev_keys(args.keys_dir)
    base = f"http://{args.host}:{args.port}"
    env = {
        "WECHAT_API_BASE_URL": base,
        "WECHAT_APP_ID": config.app_id,
        "WECHAT_APP_SECRET": config.app_secret,
        "WECHAT_PAY_API_BASE_URL": base,
        "WECHAT_PAY_MCH_ID": config.mch_id,
        **keys.pay_env(),
    }
    print("WeChat sandbox; point the service at it with:", file=sys.stderr)
    for name, value in env.items():
        print(f"  {name}={value}", file=sys.stderr)
    serve(config, args.host, args.port)


if __name__ == "__main__":
    main()
