"""``agent-gym serve-env``: serve an env over OpenEnv's protocol (FastAPI on uvicorn), loopback by default.

The env is a registered id or your own, as ``module:Class``, ``module:factory`` or ``module:EnvId-v0`` (as for
``agent-gym check``); each session gets its own instance.

Examples::

    agent-gym serve-env MultiHopQA-v0 --max-sessions 64
    agent-gym serve-env HotpotQA-v0 -k noise=light --port 8001
    AGENT_GYM_TOKEN=s3cret agent-gym serve-env MultiHopQA-v0 --host 0.0.0.0    # other machines need the token

Then ``gym.make("agent-gym/Remote-v0", url="http://127.0.0.1:8000", env_id="MultiHopQA-v0")``, or any OpenEnv
client (``GenericEnvClient(base_url="http://127.0.0.1:8000")``).
"""

from __future__ import annotations

import argparse
import os
import sys

from agent_gym.errors import AgentGymError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from agent_gym.cli._env_args import add_env_arguments
    from agent_gym.cli._limits import add_limit_arguments
    from agent_gym.serving.http_limits import add_origin_arguments
    from agent_gym.serving.server import EnvServerLimits  # light: pydantic and gymnasium only

    parser = argparse.ArgumentParser(prog="agent-gym serve-env", description="Serve an env over OpenEnv's protocol.")
    add_env_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--token", default=None, help="bearer token clients must send (default $AGENT_GYM_TOKEN); required beyond loopback"
    )
    add_origin_arguments(parser)
    add_limit_arguments(
        parser,
        EnvServerLimits(),
        {
            "max_sessions": "WebSocket sessions (env instances) at once",
            "idle_timeout_s": "seconds a silent session is kept",
            "step_timeout_s": "longest env call; past it the session is closed",
            "max_message_bytes": "largest message or HTTP body",
            "header_timeout_s": "seconds a connection may take to send a request head",
            "body_timeout_s": "seconds a request may take to send its body",
        },
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from agent_gym.cli._env_args import load_env
    from agent_gym.cli._limits import limits_from_args
    from agent_gym.cli._pairs import parse_pairs
    from agent_gym.serving.http_limits import check_bind
    from agent_gym.serving.server import EnvServerLimits, serve

    token = args.token if args.token is not None else os.environ.get("AGENT_GYM_TOKEN")
    try:
        limits = limits_from_args(EnvServerLimits, args)
        kwargs = parse_pairs(args.kwarg, "--kwarg")
        check_bind(args.host, token, f"serving {args.env_id}")  # before saying "serving on"
        load_env(args.env_id, **kwargs).close()  # an unknown id or entry point fails here, with a "did you mean"
        print(f"serving {args.env_id} on http://{args.host}:{args.port} (OpenEnv protocol, /ws)", file=sys.stderr, flush=True)
        serve(
            args.env_id,
            kwargs,
            host=args.host,
            port=args.port,
            limits=limits,
            token=token,
            log_level=args.log_level,
            make_env=lambda: load_env(args.env_id, **kwargs),
            allowed_hosts=tuple(args.allow_host),
            allowed_origins=tuple(args.allow_origin),
        )
    except AgentGymError as exc:
        print(f"agent-gym serve-env: {exc}", file=sys.stderr)
        return 2
    return 0
