"""``KEY=VALUE`` options, the one parser behind every repeatable ``--kwarg``/``--policy-arg``/``--set`` flag."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent_gym.errors import ConfigError

__all__ = ["parse_pairs"]


def parse_pairs(pairs: Iterable[str], flag: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}``: a value is read as JSON when it parses, else kept as text.

    Args:
        pairs: The flag's values, in the order given (a later key wins).
        flag: The flag's name, for the error message.

    Raises:
        ConfigError: a pair without ``=`` or with an empty key.

    Example:
        >>> parse_pairs(["hops=1", "reward=process", 'noise={"drop": 0.1}'], "--kwarg")
        {'hops': 1, 'reward': 'process', 'noise': {'drop': 0.1}}
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out
