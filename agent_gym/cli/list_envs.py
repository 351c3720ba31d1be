"""``agent-gym list``: the registered envs with one-line descriptions (Gymnasium and PettingZoo)."""

from __future__ import annotations

import argparse

from agent_gym.registry import registered_envs

__all__ = ["main"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agent-gym list", description="List the registered envs.")
    parser.parse_args(argv)
    from agent_gym.multiagent import registered_team_envs  # imports pettingzoo: only when listing

    single, team = registered_envs(), registered_team_envs()
    width = max(map(len, [*single, *team]), default=0)
    print("Single-agent (gymnasium.make):")
    for env_id, description in single.items():
        print(f"  {env_id:<{width}}  {description}")
    print("Multi-agent (agent_gym.multiagent.make, PettingZoo ParallelEnv):")
    for env_id, description in team.items():
        print(f"  {env_id:<{width}}  {description}")
    return 0
