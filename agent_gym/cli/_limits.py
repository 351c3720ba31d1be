"""A server's limits (a frozen pydantic model) as command-line flags, one ``--field-name`` per field."""

from __future__ import annotations

import argparse
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agent_gym.errors import ConfigError

__all__ = ["add_limit_arguments", "limits_from_args"]

Limits = TypeVar("Limits", bound=BaseModel)


def add_limit_arguments(parser: argparse.ArgumentParser, defaults: BaseModel, helps: dict[str, str]) -> None:
    """``--field-name`` for each field in ``helps`` (in that order), typed and defaulted as in ``defaults``."""
    for name, text in helps.items():
        default = getattr(defaults, name)
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default, help=f"{text} (default {shown})")


def limits_from_args(model: type[Limits], args: argparse.Namespace) -> Limits:
    """The limits the flags give.

    Raises:
        ConfigError: a value out of bounds, named by its flag (``--max-k: Input should be ...``).
    """
    try:
        return model(**{name: getattr(args, name) for name in model.model_fields if hasattr(args, name)})
    except ValidationError as exc:
        raise ConfigError("; ".join(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" for e in exc.errors())) from None
