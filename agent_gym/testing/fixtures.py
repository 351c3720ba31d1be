"""Small fixture envs for testing env machinery and trainers: no data, every failure path reachable."""

from __future__ import annotations

import time
from typing import Any

from agent_gym.errors import ToolArgumentError
from agent_gym.tools import ToolEnv, tool
from agent_gym.types import Task

__all__ = ["ArithmeticEnv"]


@tool
def add(a: int, b: int) -> str:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return str(a + b)


@tool
def divide(a: float, b: float) -> str:
    """Divide a by b.

    Args:
        a: Dividend.
        b: Divisor; zero makes the tool raise.
    """
    return str(a / b)


@tool
def sqrt(x: float) -> str:
    """Square root of a non-negative number.

    Args:
        x: The number.
    """
    if x < 0:
        raise ToolArgumentError("x must be >= 0")
    return str(x**0.5)


@tool(timeout_s=0.2)
def wait(seconds: float) -> str:
    """Wait, then say so (times out after 0.2 s).

    Args:
        seconds: How long to wait.
    """
    time.sleep(min(seconds, 2.0))
    return f"waited {seconds} s"


@tool
def remote() -> str:
    """Ask a remote service that is always down."""
    raise ConnectionError("connection refused by 127.0.0.1:9")


class ArithmeticEnv(ToolEnv):
    """Compute ``a + b`` for random integers (``options={"index": i}``: ``divmod(i, 100)``, ``{"operands": [a, b]}``);
    the tools cover every failure path.

    ``add`` works, ``divide`` raises on zero (``tool_exception``), ``sqrt`` rejects negatives
    (``invalid_arguments``), ``wait`` times out past 0.2 s (``timeout``), ``remote`` is unreachable
    (``unavailable``).
    """

    default_instructions = "Compute the sum asked for. Use the add tool, then answer with the number."

    def __init__(self, **kwargs: Any):
        super().__init__([add, divide, sqrt, wait, remote], **kwargs)
        self._answer = ""

    def sample_task(self, options: dict[str, Any]) -> Task:
        a, b = (int(x) for x in self.np_random.integers(0, 100, 2))
        if "index" in options:  # task i is a + b with (a, b) = divmod(i, 100): a function of the index alone
            a, b = divmod(int(options["index"]), 100)
        if "operands" in options:
            a, b = options["operands"]
        self._answer = str(a + b)
        return Task(id=f"add-{a}-{b}", prompt=f"What is {a} + {b}?", info={"operands": [a, b], "answer": self._answer})

    def score_answer(self, answer: str) -> dict[str, float]:
        return {"em": float(answer.strip() == self._answer)}
