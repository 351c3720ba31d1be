"""Fixtures for the policy tests: the embedded model (loaded once) and a tiny random LM on its vocabulary."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def embedded():
    """The embedded SmolLM2 policy, greedy, short turns (shared: do not change its settings).

    One torch thread while it lives: on a shared 2-core machine two OpenMP threads spin-wait and generation
    gets many times slower (docs/results.md); the previous setting is restored afterwards.
    """
    import torch
    from agent_gym.baselines.policies import EmbeddedPolicy

    threads = torch.get_num_threads()
    yield EmbeddedPolicy(max_new_tokens=12, batch_size=16, threads=1)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def random_lm_policy(embedded):
    """``random_lm_policy(**options)``: a TransformersPolicy on a randomly initialised 2-layer Llama that
    shares the embedded tokenizer: fast, and it emits garbage, special tokens included."""
    import torch
    from agent_gym.baselines.policies import TransformersPolicy
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(embedded.tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        pad_token_id=embedded.pad_id,
    )
    model = LlamaForCausalLM(config).eval()

    def make(**options):
        return TransformersPolicy(model, tokenizer=embedded.tokenizer, **options)

    return make


HISTORY = (
    {"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
)
