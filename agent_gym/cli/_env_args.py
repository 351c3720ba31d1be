"""Shared argument handling: an env (a registered id, or a user's own ``module:Class``) plus ``--kwarg`` pairs."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

import gymnasium as gym

from agent_gym.cli._pairs import parse_pairs
from agent_gym.errors import ConfigError
from agent_gym.registry import suggest_env_id

__all__ = ["add_env_arguments", "load_env", "make_env"]


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "env_id",
        help="a registered env id (see `agent-gym list`), or your own env as an entry point: module:Class, "
        "module:factory, or module:EnvId-v0 for a module that registers it with Gymnasium on import",
    )
    parser.add_argument(
        "--kwarg",
        "-k",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="env constructor argument; VALUE is parsed as JSON when it can be (repeatable)",
    )


def make_env(args: argparse.Namespace, **extra: Any) -> gym.Env:
    """:func:`load_env` of ``args.env_id`` with the parsed ``--kwarg`` pairs."""
    return load_env(args.env_id, **parse_pairs(args.kwarg, "--kwarg"), **extra)


def load_env(spec: str, **kwargs: Any) -> gym.Env:
    """Build an env from a Gymnasium id or an entry point ``module:attr`` (a class or factory of a ``gym.Env``).

    The current folder is importable, so ``agent-gym check my_env:MyEnv`` works next to ``my_env.py``.

    Raises:
        ConfigError: an unknown id (with a "did you mean"), a module that cannot be imported, or an attribute
            that is not an env class or factory.
    """
    if spec in gym.registry:
        return gym.make(spec, **kwargs)
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(suggest_env_id(spec))
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} ({exc}); run from the folder that holds it, or install it") from exc
    if attr in gym.registry:  # the module registered its envs on import
        return gym.make(attr, **kwargs)
    creator = getattr(module, attr, None)
    if not callable(creator):
        raise ConfigError(f"{module_name!r} has no env class, factory or registered id {attr!r}")
    env = creator(**kwargs)
    if not isinstance(env, gym.Env):
        raise ConfigError(f"{spec} returned a {type(env).__name__!r} object, not a gymnasium.Env")
    return env
