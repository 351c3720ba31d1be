"""The ``agent-gym`` command: one module per subcommand, each with ``main(argv) -> int``."""

from __future__ import annotations

import importlib
import sys

from agent_gym.errors import did_you_mean

__all__ = ["EXTRA_OF", "SUBCOMMANDS", "main"]

EXTRA_OF: dict[str, str] = {"serve-retriever": "serve", "serve-env": "serve", "train": "train", "leaderboard": "leaderboard"}
"""Subcommands that need an optional extra (the others run on the core install)."""

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "list": ("agent_gym.cli.list_envs", "list the registered envs"),
    "check": ("agent_gym.cli.check", "run the env checkers on an env id"),
    "play": ("agent_gym.cli.play", "play an env in the terminal"),
    "rollout": ("agent_gym.cli.rollout", "run a policy in an env and write episodes as JSONL"),
    "serve-retriever": ("agent_gym.cli.serve_retriever", "serve a retriever over HTTP (also Search-R1's /retrieve)"),
    "serve-env": ("agent_gym.cli.serve_env", "serve an env over OpenEnv's protocol (WebSocket sessions)"),
    "train": ("agent_gym.cli.train", "train a policy with SFT, GRPO (TRL) or PPO (recipes include cpu-qa)"),
    "leaderboard": ("agent_gym.cli.leaderboard", "run the baselines on the QA envs and rank them"),
    "bench": ("agent_gym.cli.bench", "run the performance benchmarks"),
}


def _usage() -> str:
    width = max(map(len, SUBCOMMANDS))
    lines = [f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    return (
        "usage: agent-gym COMMAND [ARGS]\n\ncommands:\n"
        + "\n".join(lines)
        + "\n\n`agent-gym COMMAND --help` for a command's options."
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        hint = did_you_mean(name, SUBCOMMANDS)
        print(f"agent-gym: unknown command {name!r}.{hint}\n\n{_usage()}", file=sys.stderr)
        return 2
    if name in EXTRA_OF and not {"-h", "--help"} & set(rest):
        from agent_gym.errors import MissingDependency
        from agent_gym.utils.extras import require_extra

        try:
            require_extra(EXTRA_OF[name], f"agent-gym {name}")
        except MissingDependency as exc:
            print(f"agent-gym: {exc}", file=sys.stderr)
            return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
