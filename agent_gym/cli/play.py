"""``agent-gym play ENV_ID``: play an env in the terminal, one line per turn.

Type the assistant turn on one line (write ``\\n`` for a line break). ``:reset`` starts a new episode,
``:quit`` (or end of input) leaves.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from agent_gym.cli._env_args import add_env_arguments, make_env
from agent_gym.errors import AgentGymError

__all__ = ["main"]


def main(argv: list[str], stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agent-gym play", description="Play an env in the terminal.")
    add_env_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    try:
        env = make_env(args)
    except AgentGymError as exc:
        print(f"agent-gym play: {exc}", file=sys.stderr)
        return 2
    seed = args.seed
    obs, info = env.reset(seed=seed)
    _show(obs, 0, stdout)
    print(f"(task {info.get('task_id', '?')}; type your turn, ':reset' or ':quit')", file=stdout)
    total = 0.0
    for line in stdin:
        line = line.rstrip("\n")
        if line.strip() == ":quit":
            break
        if line.strip() == ":reset":
            seed += 1
            obs, info = env.reset(seed=seed)
            total = 0.0
            _show(obs, 0, stdout)
            continue
        shown = len(obs) + 1  # the assistant turn just typed is not echoed back
        obs, reward, terminated, truncated, info = env.step(line.replace("\\n", "\n"))
        total += reward
        _show(obs, shown, stdout)
        parts = ", ".join(f"{k}={v:+.3f}" for k, v in info["reward_components"].items() if v)
        print(f"reward {reward:+.3f} ({parts or 'all components 0'}); episode total {total:+.3f}", file=stdout)
        if terminated or truncated:
            why = "answered" if terminated else "limit reached"
            print(f"episode over ({why}); metrics: {info.get('metrics', {})}. ':reset' to play again.", file=stdout)
    env.close()
    return 0


def _show(obs: tuple[dict[str, Any], ...], start: int, out: TextIO) -> None:
    for message in obs[start:]:
        name = f" {message['name']}" if message.get("name") else ""
        print(f"--- {message['role']}{name} ---\n{message.get('content', '')}", file=out)
