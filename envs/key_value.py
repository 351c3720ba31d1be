"""KeyValueLookup-v0: follow a chain of keys through a lookup tool.

Env card
--------
- **Ids**: ``KeyValueLookup-v0`` (noiseless), ``KeyValueLookupNoisy-v0`` (``noise="light"``).
- **Task**: a hidden table maps keys to values. Starting from a given key, each value is the next key, until
  the last one holds the answer: a ``hops``-hop lookup, the data-free analogue of multi-hop QA.
- **Observation**: the chat history (system prompt with the tool description, the question, turns, results).
- **Action**: one assistant turn in the chosen tool format (default Hermes ``<tool_call>``), answer in
  ``<answer>…</answer>``.
- **Tools**: ``lookup(key: str)`` returns the key's value, or says the key does not exist.
- **Reward components**: ``outcome`` (exact match of the answer, Agent-R1 style); with ``reward="process"``
  also ``chain_progress`` (+1 per chain key looked up for the first time) and the generic process components.
- **Data**: none; tables are drawn from ``np_random`` (or from ``options={"index": i}`` for a fixed task).
- **Metrics**: ``em``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from agent_gym.rewards import exact_match, signal
from agent_gym.tools import Interpretation, ToolEnv, tool
from agent_gym.types import Task, ToolCall, ToolResult

__all__ = ["KeyValueLookupEnv"]

_SYLLABLES = ("ka", "lo", "mi", "ru", "se", "ta", "ve", "no", "pi", "zu", "da", "fe")
_ANSWERS = ("amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "juniper")


class KeyValueLookupEnv(ToolEnv):
    """A ``hops``-step chain of keys hidden among ``distractors`` other keys."""

    reward_components: ClassVar = {"chain_progress": (signal("chain_progress"), 0.1)}
    default_instructions = (
        "You are given a starting key. Look keys up with the lookup tool: each value is either the next key "
        "or the final answer (a single word that is not a key). Answer with that final word."
    )

    def __init__(self, hops: int = 2, distractors: int = 6, max_turns: int | None = None, **kwargs: Any):
        super().__init__([tool(self.lookup)], max_turns=max_turns or hops + 3, **kwargs)
        self.hops = hops
        self.distractors = distractors
        self._table: dict[str, str] = {}
        self._chain: list[str] = []
        self._visited: set[str] = set()

    def lookup(self, key: str) -> str:
        """Read the value stored under a key.

        Args:
            key: The key to look up, exactly as written.
        """
        key = key.strip()
        if key not in self._table:
            return f"No key {key!r} exists."
        return f"{key} = {self._table[key]}"

    def sample_task(self, options: dict[str, Any]) -> Task:
        rng = np.random.default_rng(options["index"]) if "index" in options else self.np_random
        keys: list[str] = []
        # Indices drawn with ``integers`` are exactly the draws ``rng.choice(words)`` makes, at half the cost
        # (no tuple-to-array conversion): resets sit on the rollout's critical path.
        while len(keys) < self.hops + self.distractors:
            syllables = rng.integers(0, len(_SYLLABLES), size=3)
            word = "".join(_SYLLABLES[i] for i in syllables) + "-" + str(int(rng.integers(10, 100)))
            if word not in keys:
                keys.append(word)
        answer = _ANSWERS[int(rng.integers(0, len(_ANSWERS)))]
        self._chain = keys[: self.hops]
        self._table = {k: nxt for k, nxt in zip(self._chain, self._chain[1:] + [answer], strict=True)}
        for key in keys[self.hops :]:
            self._table[key] = _ANSWERS[int(rng.integers(0, len(_ANSWERS)))]
        self._visited = set()
        self._answer = answer
        task_id = f"kv-{options['index']}" if "index" in options else f"kv-{self._chain[0]}"
        prompt = f"Start at key {self._chain[0]!r}. Follow the chain to the final value and answer it."
        return Task(id=task_id, prompt=prompt, info={"answer": answer, "chain": list(self._chain)})

    def score_answer(self, answer: str) -> dict[str, float]:
        return {"em": exact_match(answer, [self._answer])}

    def interpret(self, call: ToolCall, result: ToolResult) -> Interpretation:
        meaning = super().interpret(call, result)
        key = str(call.arguments.get("key", "")).strip()
        new_hit = result.ok and key in self._chain and key not in self._visited
        if new_hit:
            self._visited.add(key)
        return Interpretation(content=meaning.content, signals={"chain_progress": float(new_hit)})

    def step_info(self) -> dict[str, Any]:
        return {"chain_visited": len(self._visited), "chain_length": len(self._chain)}
