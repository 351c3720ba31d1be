"""Chat histories as token ids, without ever re-encoding what the model generated.

A token-aware policy and the trajectory builder share one rule (DESIGN §4), implemented here:

* the **opening** (every message before the first assistant turn) is rendered with the chat template, generation
  prompt included, and tokenised once: these are the prompt ids;
* each **policy turn** contributes the token ids exactly as generated;
* each **environment delta** (what the template renders between the end of the generated tokens and the next
  generation prompt: the closing of the assistant message, the tool and feedback messages, the next
  ``<|im_start|>assistant``) is rendered as text and tokenised on its own.

The delta is read off the rendered strings: with ``P`` the rendering of the history before the turn (generation
prompt included), ``g`` the decoded generated ids and ``N`` the rendering of the history after the env's step,
the delta is ``N[len(P + g):]``. That is exact when ``N`` starts with ``P + g``. When it does not (the documented
**template exceptions**: the env cut an over-long action, a template rewrites assistant content, e.g. strips it
or drops earlier reasoning), the delta falls back to what follows the re-rendered assistant message, and the turn
is reported as inexact; the generated ids are still kept as generated.

**Prompt truncation** (:func:`truncate_prompt`): when a prompt does not leave room for ``max_new_tokens`` in the
model's context, the head of the opening and the most recent tokens are kept and the middle is dropped, token
by token, so the model keeps its instructions and the latest observations and never crashes on a long episode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from agent_gym.types import ChatHistory

__all__ = ["ChatTokenizer", "EnvDelta", "common_prefix_length", "history_key", "opening_length", "truncate_prompt"]


def opening_length(history: ChatHistory) -> int:
    """Number of messages before the first assistant message (the system prompt and the task).

    Example:
        >>> opening_length([{"role": "system"}, {"role": "user"}, {"role": "assistant"}])
        2
    """
    for index, message in enumerate(history):
        if message.get("role") == "assistant":
            return index
    return len(history)


def truncate_prompt(ids: Sequence[int], budget: int, keep_head: int) -> tuple[int, ...]:
    """Fit ``ids`` into ``budget`` tokens: keep the first ``keep_head`` (capped at half the budget) and the tail.

    Args:
        ids: The full prompt.
        budget: Tokens available for the prompt (context window minus the generation budget), at least 1.
        keep_head: Length of the opening to protect (system prompt and task).

    Example:
        >>> truncate_prompt(range(10), 6, keep_head=2)
        (0, 1, 6, 7, 8, 9)
        >>> truncate_prompt(range(10), 4, keep_head=8)
        (0, 1, 8, 9)
    """
    ids = tuple(ids)
    budget = max(1, budget)
    if len(ids) <= budget:
        return ids
    head = min(keep_head, budget // 2)
    return ids[:head] + ids[len(ids) - (budget - head) :]


class EnvDelta(NamedTuple):
    """The env's tokens after one turn."""

    ids: tuple[int, ...]
    """Tokenised chat-template delta (loss mask 0)."""
    exact: bool
    """False for a documented template exception (see the module docstring)."""


class ChatTokenizer:
    """A Hugging Face tokenizer plus its chat template, seen as the three operations rollouts need.

    Args:
        tokenizer: A ``transformers`` tokenizer with a chat template.
        tools: The OpenAI tool list to pass to the template (``tools=``); None for text-described tools.
    """

    def __init__(self, tokenizer: Any, tools: Sequence[Mapping[str, Any]] | None = None):
        self.tokenizer = tokenizer
        self.tools = list(tools) if tools else None
        self.eos_ids = frozenset(_eos_ids(tokenizer))

    def render(self, history: ChatHistory, *, generation_prompt: bool) -> str:
        """The template's text for ``history`` (plain JSON dicts, as the env keeps them)."""
        messages = [dict(m) for m in history]
        kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": generation_prompt}
        if self.tools:
            kwargs["tools"] = self.tools
        return self.tokenizer.apply_chat_template(messages, **kwargs)

    def encode(self, text: str) -> tuple[int, ...]:
        """Token ids of ``text``; special-token strings in it become their special ids; no BOS is added."""
        return tuple(self.tokenizer.encode(text, add_special_tokens=False)) if text else ()

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids`` with special tokens written out (the inverse the template rendering needs)."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=False) if ids else ""

    def turn_text(self, generated: Sequence[int]) -> str:
        """The assistant turn's text: the decoded ids without the final end-of-turn token, nothing stripped."""
        ids = list(generated)
        if ids and ids[-1] in self.eos_ids:
            ids.pop()
        return self.decode(ids)

    def prompt_ids(self, history: ChatHistory) -> tuple[int, ...]:
        """The opening rendered with the generation prompt, tokenised (the trajectory's ``prompt_ids``)."""
        return self.encode(self.render(history[: opening_length(history)], generation_prompt=True))

    def env_delta(
        self, before: ChatHistory, generated: Sequence[int], after: ChatHistory, *, generation_prompt: bool
    ) -> EnvDelta:
        """The env's tokens between a turn's generated ids and the next generation prompt.

        Args:
            before: The history the turn was generated from.
            generated: The turn's generated ids.
            after: The history after the env's step (``before`` + assistant message + env messages).
            generation_prompt: Whether the episode goes on (render the next generation prompt) or ended.
        """
        prompt = self.render(before, generation_prompt=True)
        produced = prompt + self.decode(generated)
        rendered = self.render(after, generation_prompt=generation_prompt)
        if rendered.startswith(produced):
            return EnvDelta(self.encode(rendered[len(produced) :]), True)
        assistant_end = self.render(after[: len(before) + 1], generation_prompt=False)
        if rendered.startswith(assistant_end):
            return EnvDelta(self.encode(rendered[len(assistant_end) :]), False)
        # The template rewrites earlier turns: keep only what it renders after the common prefix.
        common = common_prefix_length(rendered, produced)
        return EnvDelta(self.encode(rendered[max(common, len(prompt)) :]), False)


def history_key(history: ChatHistory) -> str:
    """A stable string key of a history (for caches keyed by conversation prefix)."""
    return json.dumps(list(history), sort_keys=True, ensure_ascii=False, default=str)


def common_prefix_length(a: Sequence[Any], b: Sequence[Any]) -> int:
    """How many leading items (characters, token ids) ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _eos_ids(tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    eos = getattr(tokenizer, "eos_token_id", None)
    if isinstance(eos, int):
        ids.add(eos)
    elif isinstance(eos, (list, tuple)):
        ids.update(int(i) for i in eos)
    # Chat models end a turn with the template's end-of-message token, which is not always the EOS.
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"):
        token_id = tokenizer.convert_tokens_to_ids(token) if hasattr(tokenizer, "convert_tokens_to_ids") else None
        unk = getattr(tokenizer, "unk_token_id", None)
        if isinstance(token_id, int) and token_id != unk:
            ids.add(token_id)
    return ids
