"""``agent-gym check ENV``: run agent-gym's and Gymnasium's env checkers on a registered id or your own ``module:Class``."""

from __future__ import annotations

import argparse
import sys
import warnings

from agent_gym.cli._env_args import add_env_arguments, make_env
from agent_gym.errors import AgentGymError

__all__ = ["main"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="agent-gym check", description="Check that an env keeps the agent-gym contract.")
    add_env_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from gymnasium.utils.env_checker import check_env as gymnasium_check_env

    from agent_gym.utils import check_env

    try:
        check_env(make_env(args), seed=args.seed)
        print(f"{args.env_id}: agent_gym.utils.check_env passed")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gymnasium_check_env(make_env(args).unwrapped, skip_render_check=True)
        print(f"{args.env_id}: gymnasium.utils.env_checker.check_env passed ({len(caught)} warnings)")
        for warning in caught:
            print(f"  warning: {warning.message}")
    except AgentGymError as exc:
        print(f"{args.env_id}: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0
