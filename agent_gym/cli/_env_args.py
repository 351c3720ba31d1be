"""Shared argument handling: an env id plus ``--kwarg key=value`` pairs."""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium as gym

from agent_gym.cli._pairs import parse_pairs
from agent_gym.errors import ConfigError
from agent_gym.registry import registered_envs, suggest_env_id

__all__ = ["add_env_arguments", "make_env"]


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env_id", help="a registered env id (see `agent-gym list`)")
    parser.add_argument(
        "--kwarg",
        "-k",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="env constructor argument; VALUE is parsed as JSON when it can be (repeatable)",
    )


def make_env(args: argparse.Namespace, **extra: Any) -> gym.Env:
    """``gym.make`` with the parsed kwargs; unknown ids get a "did you mean"."""
    if args.env_id not in registered_envs():
        raise ConfigError(suggest_env_id(args.env_id))
    return gym.make(args.env_id, **parse_pairs(args.kwarg, "--kwarg"), **extra)
