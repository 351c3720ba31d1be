"""``agent-gym serve-env``: serve a registered env over OpenEnv's protocol (FastAPI on uvicorn), loopback by default.

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
    from agent_gym.serving.server import EnvServerLimits  # light: pydantic and gymnasium only

    limits = EnvServerLimits()
    parser = argparse.ArgumentParser(prog="agent-gym serve-env", description="Serve an env over OpenEnv's protocol.")
    add_env_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--token", default=None, help="bearer token clients must send (default $AGENT_GYM_TOKEN); required beyond loopback"
    )
    bounds = [
        ("--max-sessions", int, limits.max_sessions, "WebSocket sessions (env instances) at once"),
        ("--idle-timeout-s", float, limits.idle_timeout_s, "seconds a silent session is kept"),
        ("--step-timeout-s", float, limits.step_timeout_s, "longest env call; past it the session is closed"),
        ("--max-message-bytes", int, limits.max_message_bytes, "largest message or HTTP body"),
        ("--header-timeout-s", float, limits.header_timeout_s, "seconds a connection may take to send a request head"),
        ("--body-timeout-s", float, limits.body_timeout_s, "seconds a request may take to send its body"),
    ]
    for flag, kind, default, help_text in bounds:
        shown = f"{default:g}" if kind is float else str(default)
        parser.add_argument(flag, type=kind, default=default, help=f"{help_text} (default {shown})")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from agent_gym.cli._pairs import parse_pairs
    from agent_gym.registry import registered_envs, suggest_env_id
    from agent_gym.serving.server import EnvServerLimits, serve

    try:
        limits = EnvServerLimits(**{name: getattr(args, name) for name in EnvServerLimits.model_fields})
    except ValidationError as exc:
        problems = "; ".join(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" for e in exc.errors())
        print(f"agent-gym serve-env: {problems}", file=sys.stderr)
        return 2
    token = args.token if args.token is not None else os.environ.get("AGENT_GYM_TOKEN")
    try:
        if args.env_id not in registered_envs():
            raise AgentGymError(suggest_env_id(args.env_id))
        kwargs = parse_pairs(args.kwarg, "--kwarg")
        print(f"serving {args.env_id} on http://{args.host}:{args.port} (OpenEnv protocol, /ws)", file=sys.stderr, flush=True)
        serve(args.env_id, kwargs, host=args.host, port=args.port, limits=limits, token=token, log_level=args.log_level)
    except AgentGymError as exc:
        print(f"agent-gym serve-env: {exc}", file=sys.stderr)
        return 2
    return 0
