"""Batched token generation with a KV cache: exact ids, their log-probabilities, one seed per row.

``transformers``' ``generate`` draws every row of a batch from one random stream, so a row's sample depends on
its batch-mates; here each row has its own ``torch.Generator`` seeded with the turn's seed, which makes sampling
independent of batching. Log-probabilities are those of the distribution sampled from: ``log_softmax`` of the
logits divided by the temperature (the raw model's for greedy decoding), before any top-p cut.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Generation", "choose_tokens", "generate"]


class Generation(BaseModel):
    """One row's output."""

    model_config = ConfigDict(frozen=True)

    token_ids: tuple[int, ...]
    """Generated ids, the end-of-turn token included when the model emitted it."""
    logprobs: tuple[float, ...]
    """Log-probability of each generated id."""
    first_token_s: float
    """Seconds from the call to the first token of the batch (prefill time)."""


def generate(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    seeds: Sequence[int],
    max_new_tokens: int,
    eos_ids: frozenset[int],
    pad_id: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
) -> list[Generation]:
    """Continue each prompt until an end-of-turn id or ``max_new_tokens``.

    Args:
        model: A causal LM (``transformers`` ``PreTrainedModel``).
        prompts: Token ids per row (non-empty).
        seeds: Sampling seed per row (ignored when greedy).
        max_new_tokens: Generation budget per row.
        eos_ids: Ids that end a turn.
        pad_id: Id used for left padding (masked out).
        temperature: 0 for greedy decoding.
        top_p: Nucleus sampling mass (1 keeps the whole distribution).
    """
    import torch

    started = time.perf_counter()
    n = len(prompts)
    width = max(len(p) for p in prompts)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        input_ids[row, width - len(prompt) :] = torch.tensor(list(prompt), dtype=torch.long)
        mask[row, width - len(prompt) :] = 1
    generators = [torch.Generator().manual_seed(int(s) % 2**63) for s in seeds]
    tokens: list[list[int]] = [[] for _ in range(n)]
    logprobs: list[list[float]] = [[] for _ in range(n)]
    done = [False] * n
    first_token_s = 0.0
    with torch.inference_mode():
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        # Only the last position's logits are needed: the LM head over every prompt position would cost as much
        # as the rest of a 135M model (a 49k vocabulary) and gigabytes of memory for long histories.
        out = model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=1)
        for step in range(max_new_tokens):
            chosen, chosen_logp = choose_tokens(out.logits[:, -1, :].float(), generators, temperature, top_p)
            if step == 0:
                first_token_s = time.perf_counter() - started
            for row in range(n):
                if not done[row]:
                    tokens[row].append(int(chosen[row]))
                    logprobs[row].append(float(chosen_logp[row]))
                    done[row] = int(chosen[row]) in eos_ids
            if all(done) or step + 1 == max_new_tokens:
                break
            mask = torch.cat([mask, torch.ones((n, 1), dtype=torch.long)], dim=1)
            positions = positions[:, -1:] + 1
            out = model(
                input_ids=chosen.view(n, 1),
                attention_mask=mask,
                position_ids=positions,
                past_key_values=out.past_key_values,
                use_cache=True,
            )
    return [
        Generation(token_ids=tuple(t), logprobs=tuple(lp), first_token_s=first_token_s)
        for t, lp in zip(tokens, logprobs, strict=True)
    ]


def choose_tokens(logits: Any, generators: list[Any], temperature: float, top_p: float) -> tuple[Any, Any]:
    """Next id per row and its log-probability under the (temperature-scaled) distribution."""
    import torch

    if temperature <= 0:
        logp = torch.log_softmax(logits, dim=-1)
        chosen = logp.argmax(dim=-1)
        return chosen, logp.gather(1, chosen[:, None])[:, 0]
    logp = torch.log_softmax(logits / temperature, dim=-1)
    probs = logp.exp()
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > top_p  # keep the smallest prefix reaching top_p
        sorted_probs = sorted_probs.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter(1, order, sorted_probs)
    chosen = torch.stack([torch.multinomial(probs[row], 1, generator=g)[0] for row, g in enumerate(generators)])
    return chosen, logp.gather(1, chosen[:, None])[:, 0]
