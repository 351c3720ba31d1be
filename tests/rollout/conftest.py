"""Fixtures for the rollout tests: scripted policies, a random-output token-aware policy, the embedded tokenizer."""

from __future__ import annotations

import numpy as np
import pytest

from agent_gym.rollout import PolicyTurn
from agent_gym.tools.formats import get_format
from agent_gym.types import ToolCall


def random_kv_script(history, seed):
    """A seeded scripted policy for KeyValueLookup-v0: looks up a random mix of real and made-up keys, then
    answers; everything drawn from the turn's seed, so episodes must not depend on batching."""
    rng = np.random.default_rng(seed)
    fmt = get_format("hermes")
    turn = sum(m["role"] == "assistant" for m in history)
    if turn >= 2 and rng.random() < 0.5:
        return fmt.render_turn(answer=str(rng.choice(["amber", "dune", "fjord"])))
    key = f"k{int(rng.integers(100))}" if rng.random() < 0.5 else history[1]["content"].split("'")[1]
    return fmt.render_turn([ToolCall(name="lookup", arguments={"key": key})])


class ReplayTokenPolicy:
    """A token-aware stand-in for a model: each turn's ids are drawn from the turn's seed over the whole
    vocabulary (specials included), optionally ending with the end-of-turn id; text is their decoding."""

    def __init__(self, chat, length: int = 12, eos_prob: float = 0.5, vocab: int | None = None):
        self.chat = chat
        self.length = length
        self.eos_prob = eos_prob
        self.vocab = vocab or len(chat.tokenizer)
        self.turns: list[PolicyTurn] = []

    def act(self, histories, *, tools=None, seeds=None):
        out = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            ids = [int(i) for i in rng.integers(0, self.vocab, int(rng.integers(0, self.length + 1)))]
            ids = [i for i in ids if i not in self.chat.eos_ids]
            if rng.random() < self.eos_prob:
                ids.append(min(self.chat.eos_ids))
            logprobs = tuple(float(-x) for x in rng.random(len(ids)))
            out.append(PolicyTurn(text=self.chat.turn_text(ids), token_ids=tuple(ids), logprobs=logprobs))
        self.turns += out
        return out


@pytest.fixture(scope="session")
def smol_tokenizer():
    """The embedded model's tokenizer (converts the GGUF once into the cache)."""
    from transformers import AutoTokenizer

    from agent_gym.baselines.policies import embedded_checkpoint

    return AutoTokenizer.from_pretrained(embedded_checkpoint(), local_files_only=True)


@pytest.fixture(scope="session")
def smol_chat(smol_tokenizer):
    from agent_gym.rollout import ChatTokenizer

    return ChatTokenizer(smol_tokenizer)
