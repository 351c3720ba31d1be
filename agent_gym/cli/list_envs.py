"""``agent-gym list``: the registered envs with one-line descriptions."""

from __future__ import annotations

import argparse

from agent_gym.registry import registered_envs

__all__ = ["main"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agent-gym list", description="List the registered envs.")
    parser.parse_args(argv)
    envs = registered_envs()
    width = max(map(len, envs), default=0)
    for env_id, description in envs.items():
        print(f"{env_id:<{width}}  {description}")
    return 0
