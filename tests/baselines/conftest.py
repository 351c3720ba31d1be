"""Offline fixtures for the trainer tests: a random tiny causal LM, a byte-level tokenizer with a chat
template, and hand-made trajectories. Nothing is downloaded."""

from __future__ import annotations

import random

import pytest
import torch

from agent_gym.rollout.trajectory import TokenTrajectory

SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]
VOCAB = 256 + len(SPECIALS)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_lm(seed: int = 0, vocab_size: int = VOCAB) -> torch.nn.Module:
    """A randomly initialised 2-layer Llama with hidden size 32."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    return LlamaForCausalLM(config).eval()


def byte_tokenizer():
    """A byte-level BPE tokenizer with no merges (one token per byte), ChatML specials and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    vocab.update({ch: len(SPECIALS) + i for i, ch in enumerate(sorted(alphabet))})
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIALS[1:]})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def hand_trajectory(rng: random.Random, turns: int = 2, vocab: int = VOCAB) -> TokenTrajectory:
    """A multi-turn trajectory: policy tokens, then env tokens, per turn; each turn's reward on its last token."""
    prompt = tuple(rng.randrange(3, vocab) for _ in range(rng.randint(3, 6)))
    ids, mask, logprobs, rewards, spans = [], [], [], [], []
    for turn in range(turns):
        start = len(ids)
        n = rng.randint(2, 4)
        ids += [rng.randrange(3, vocab) for _ in range(n)]
        mask += [1] * n
        logprobs += [-rng.uniform(0.5, 5.0) for _ in range(n)]
        rewards += [0.0] * (n - 1) + [rng.choice([-1.0, 0.0, 0.5, 1.0])]
        spans.append((start, start + n))
        if turn < turns - 1:
            m = rng.randint(2, 5)
            ids += [rng.randrange(3, vocab) for _ in range(m)]
            mask += [0] * m
            logprobs += [0.0] * m
            rewards += [0.0] * m
    return TokenTrajectory(
        prompt_ids=prompt,
        completion_ids=tuple(ids),
        loss_mask=tuple(mask),
        logprobs=tuple(logprobs),
        token_rewards=tuple(rewards),
        turn_spans=tuple(spans),
    )


def hand_batch(seed: int = 0, n: int = 4, turns: int = 2) -> list[TokenTrajectory]:
    rng = random.Random(seed)
    return [hand_trajectory(rng, turns) for _ in range(n)]


@pytest.fixture
def make_lm():
    """``make_lm(seed)``: a fresh tiny random causal LM."""
    return tiny_lm


@pytest.fixture
def make_batch():
    """``make_batch(seed, n, turns)``: hand-made multi-turn trajectories."""
    return hand_batch


@pytest.fixture(scope="session")
def tokenizer():
    """The byte-level chat tokenizer (shared: treat as read-only)."""
    return byte_tokenizer()


@pytest.fixture
def make_tokenizer():
    """``make_tokenizer()``: a fresh byte-level chat tokenizer (for tests that change it)."""
    return byte_tokenizer
