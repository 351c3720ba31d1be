"""Spaces for text-native environments.

Gymnasium's :class:`~gymnasium.spaces.Text` only holds strings over a fixed character set, so it cannot
describe what a language model writes. :class:`FreeText` holds any Unicode string up to a length bound;
:class:`History` holds a chat history: a tuple of message dicts in the OpenAI / Hugging Face format;
:class:`AssistantTurn`, the action space, holds every action ``step`` accepts: any string (text past
``max_length`` is cut, not refused) or an assistant message dict. Gymnasium's ``OneOf`` cannot say this: its
members are ``(index, value)`` pairs, while an action is the value itself.

All three work under ``gymnasium.vector`` (they batch as a ``Tuple`` of copies, like ``Text``); they have no fixed
shape, so ``AsyncVectorEnv`` needs ``shared_memory=False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from gymnasium.vector.utils import create_shared_memory

__all__ = ["AssistantTurn", "FreeText", "History", "MESSAGE_ROLES"]

MESSAGE_ROLES = ("system", "user", "assistant", "tool")
_OPTIONAL_KEYS = {"tool_calls", "tool_call_id", "name"}
# Code points sampled by FreeText.sample: printable ASCII most of the time, with the rest of the BMP
# (minus surrogates, which cannot be encoded) mixed in so that samples exercise Unicode handling.
_ASCII = np.arange(0x20, 0x7F)
_BMP = np.concatenate([np.arange(0xA0, 0xD800), np.arange(0xE000, 0xFFFE)])


class FreeText(Space[str]):
    """Any Unicode string of at most ``max_length`` characters.

    Example:
        >>> space = FreeText(max_length=20, seed=0)
        >>> space.contains("héllo <tool_call>")
        True
        >>> space.contains("x" * 21)
        False
        >>> space.sample() in space
        True
    """

    def __init__(self, max_length: int = 8192, *, min_length: int = 0, seed: int | np.random.Generator | None = None):
        if not 0 <= min_length <= max_length:
            raise ValueError(f"expected 0 <= min_length <= max_length, got {min_length} and {max_length}")
        self.max_length = int(max_length)
        self.min_length = int(min_length)
        super().__init__(dtype=str, seed=seed)

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> str:
        """A random string; ``mask`` is an optional length to draw exactly."""
        if probability is not None:
            raise ValueError("FreeText.sample does not take `probability`; pass `mask=length` or nothing")
        cap = min(self.max_length, 256)  # long random strings add nothing to a test but time
        length = int(mask) if mask is not None else int(self.np_random.integers(self.min_length, max(cap, self.min_length) + 1))
        if not self.min_length <= length <= self.max_length:
            raise ValueError(f"expected a length in [{self.min_length}, {self.max_length}], got {length}")
        use_ascii = self.np_random.random(length) < 0.8
        chars = np.where(use_ascii, self.np_random.choice(_ASCII, length), self.np_random.choice(_BMP, length))
        return "".join(map(chr, chars))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"FreeText(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FreeText) and (other.min_length, other.max_length) == (self.min_length, self.max_length)


class History(Space[tuple[dict[str, Any], ...]]):
    """A chat history: a tuple of message dicts, each with a ``role`` and a string ``content``.

    Optional keys are ``tool_calls`` (a list of OpenAI tool-call dicts), ``tool_call_id`` and ``name``.

    Example:
        >>> space = History(max_messages=4, seed=0)
        >>> space.contains(({"role": "user", "content": "hi"},))
        True
        >>> space.contains(({"role": "robot", "content": "hi"},))
        False
    """

    def __init__(
        self, max_messages: int = 512, max_content_length: int = 1 << 20, *, seed: int | np.random.Generator | None = None
    ):
        if max_messages < 1 or max_content_length < 1:
            raise ValueError(
                f"expected positive bounds, got max_messages={max_messages}, max_content_length={max_content_length}"
            )
        self.max_messages = int(max_messages)
        self.max_content_length = int(max_content_length)
        self._text = FreeText(max_length=max_content_length)
        super().__init__(dtype=object, seed=seed)

    def seed(self, seed: int | None = None) -> int | list[int]:
        seeds = super().seed(seed)
        self._text.seed(int(self.np_random.integers(2**31)))
        return seeds

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> tuple[dict[str, Any], ...]:
        """A random history; ``mask`` is an optional number of messages."""
        if probability is not None:
            raise ValueError("History.sample does not take `probability`; pass `mask=n_messages` or nothing")
        n = int(mask) if mask is not None else int(self.np_random.integers(1, min(self.max_messages, 8) + 1))
        roles = self.np_random.choice(len(MESSAGE_ROLES), n)
        return tuple({"role": MESSAGE_ROLES[r], "content": self._text.sample()} for r in roles)

    def contains(self, x: Any) -> bool:
        if not isinstance(x, tuple) or not 0 < len(x) <= self.max_messages:
            return False
        return all(self._is_message(m) for m in x)

    def _is_message(self, message: Any) -> bool:
        if not isinstance(message, Mapping) or message.get("role") not in MESSAGE_ROLES:
            return False
        if not self._text.contains(message.get("content")):
            return False
        if not set(message) <= {"role", "content"} | _OPTIONAL_KEYS:
            return False
        calls = message.get("tool_calls")
        if calls is not None and not (isinstance(calls, Sequence) and all(isinstance(c, Mapping) for c in calls)):
            return False
        return all(isinstance(message.get(key, ""), str) for key in ("tool_call_id", "name"))

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"History(max_messages={self.max_messages}, max_content_length={self.max_content_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and (other.max_messages, other.max_content_length) == (
            self.max_messages,
            self.max_content_length,
        )


class AssistantTurn(Space[Any]):
    """One assistant turn, as ``step`` takes it: any str, or an assistant message dict (a mapping).

    Args:
        max_length: Characters of a turn's text that the history keeps (the env cuts the rest; the ``overlong``
            reward component can charge for it). It bounds what :meth:`sample` draws, not what is contained.

    Example:
        >>> space = AssistantTurn(max_length=8, seed=0)
        >>> space.contains("far longer than eight characters"), space.contains({"role": "assistant", "content": ""})
        (True, True)
        >>> space.contains(b"bytes"), space.contains(None)
        (False, False)
        >>> space.sample() in space
        True
    """

    def __init__(self, max_length: int = 8192, *, seed: int | np.random.Generator | None = None):
        self.text = FreeText(max_length=max_length)
        """What :meth:`sample` draws a turn's text from."""
        super().__init__(dtype=object, seed=seed)

    @property
    def max_length(self) -> int:
        return self.text.max_length

    def seed(self, seed: int | None = None) -> int | list[int]:
        seeds = super().seed(seed)
        self.text.seed(int(self.np_random.integers(2**31)))
        return seeds

    def sample(self, mask: Any | None = None, probability: Any | None = None) -> str | dict[str, Any]:
        """A random turn: mostly text, sometimes an assistant message dict; ``mask`` is a text length."""
        if probability is not None:
            raise ValueError("AssistantTurn.sample does not take `probability`; pass `mask=length` or nothing")
        text = self.text.sample(mask)
        return text if self.np_random.random() < 0.8 else {"role": "assistant", "content": text}

    def contains(self, x: Any) -> bool:
        return isinstance(x, (str, Mapping))  # exactly what ``step`` refuses to raise on (tools/door.py)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"AssistantTurn(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssistantTurn) and other.max_length == self.max_length


@create_shared_memory.register(AssistantTurn)
@create_shared_memory.register(FreeText)
@create_shared_memory.register(History)
def _no_shared_memory(space: Space, n: int = 1, ctx: Any = None) -> Any:
    raise TypeError(
        f"{space!r} has no fixed size, so it cannot live in shared memory; "
        "use AsyncVectorEnv(..., shared_memory=False) or "
        "gym.make_vec(..., vectorization_mode='async', vector_kwargs={'shared_memory': False})"
    )
