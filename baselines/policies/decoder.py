"""Continuous batching over a packed token batch, with each episode's KV cache kept between its turns.

The rollout engine runs many episodes whose turns start and end at different times. :class:`ContinuousDecoder`
runs one loop (on its own thread) over every turn that is in progress: at each step, the rows decoding feed
their last token, the rows that just arrived feed (a chunk of) their prompt, and all those tokens go through the
model as **one packed sequence**: the embedding, the projections and the MLP run once over all of them, and
attention runs row by row over that row's own cache, so no row pays for another's padding. A turn joins the
loop between two steps and leaves it at its end-of-turn token, without waiting for the others.

Each turn's prompt is the previous turn's prompt, its generated ids and the env's delta (the rule of
:mod:`agent_gym.rollout.chat_tokens`), so the keys and values of the previous turn are still right: a request can
bring the :class:`KVCache` its episode's last turn left, and only the tokens past the longest common prefix
are fed (the env's delta, a few hundred tokens, instead of the whole history). When the prefix property does
not hold (a truncated prompt, a template that rewrites history) the common prefix is still reused and the rest
recomputed, so a cache is never wrong, only less useful.

Sampling is per row, with the row's own ``torch.Generator`` seeded with the turn's seed, exactly as
:func:`~agent_gym.baselines.policies.generation.generate` does, so a turn's tokens do not depend on its
batch-mates. The arithmetic is not bit-identical to a padded batch (other matrix shapes, other summation
order): logits agree to about 1e-5, and a greedy token can differ only where the top two logits are that close.

Only Llama-family decoders (``model_type == "llama"``: the embedded SmolLM2 and its LoRA-adapted copies) take
this path; :func:`supports_packing` says which models do, and the policy falls back to ``generate`` for others.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from agent_gym.baselines.policies.generation import Generation, choose_tokens
from agent_gym.errors import ConfigError
from agent_gym.rollout.chat_tokens import common_prefix_length

__all__ = ["ContinuousDecoder", "DecodeRequest", "KVCache", "supports_packing"]

_PACKED_TYPES = frozenset({"llama"})


def _decoder_stack(model: Any) -> Any:
    """The ``*ForCausalLM`` under a ``peft`` wrapper (LoRA layers stay in place inside it)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def supports_packing(model: Any) -> bool:
    """Whether ``model`` is a decoder this module can run (a Llama-family ``*ForCausalLM``)."""
    stack = _decoder_stack(model)
    config = getattr(stack, "config", None)
    inner = getattr(stack, "model", None)
    return (
        getattr(config, "model_type", None) in _PACKED_TYPES
        and hasattr(inner, "layers")
        and hasattr(inner, "rotary_emb")
        and hasattr(stack, "lm_head")
    )


class KVCache:
    """The keys and values of one token sequence, per layer, in buffers that grow by doubling.

    ``ids`` are the tokens whose keys and values are stored, in order; a cache is owned by one request at a
    time (the decoder's loop writes into it).
    """

    def __init__(self, layers: int, kv_heads: int, head_dim: int, dtype: Any):
        self.ids: list[int] = []
        self._shape = (kv_heads, head_dim)
        self._dtype = dtype
        self._keys: list[Any] = [None] * layers
        self._values: list[Any] = [None] * layers

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def capacity(self) -> int:
        """Token slots allocated (what the memory bound counts)."""
        return 0 if self._keys[0] is None else int(self._keys[0].shape[1])

    def crop(self, length: int) -> None:
        """Forget every token past ``length`` (their slots are reused)."""
        del self.ids[length:]

    def reserve(self, length: int) -> None:
        """Make room for ``length`` tokens in every layer."""
        import torch

        if length <= self.capacity:
            return
        size = max(length, 2 * self.capacity, 64)
        kv_heads, head_dim = self._shape
        for layer, (keys, values) in enumerate(zip(self._keys, self._values, strict=True)):
            grown_k = torch.empty((kv_heads, size, head_dim), dtype=self._dtype)
            grown_v = torch.empty((kv_heads, size, head_dim), dtype=self._dtype)
            if keys is not None:
                grown_k[:, : len(self)] = keys[:, : len(self)]
                grown_v[:, : len(self)] = values[:, : len(self)]
            self._keys[layer], self._values[layer] = grown_k, grown_v

    def write(self, layer: int, start: int, keys: Any, values: Any) -> tuple[Any, Any]:
        """Store ``keys``/``values`` (``[kv_heads, t, head_dim]``) at ``start``; return all keys and values so far."""
        end = start + keys.shape[1]
        self._keys[layer][:, start:end] = keys
        self._values[layer][:, start:end] = values
        return self._keys[layer][:, :end], self._values[layer][:, :end]


@dataclass(frozen=True)
class DecodeRequest:
    """One turn to generate."""

    prompt: tuple[int, ...]
    """The prompt ids (non-empty)."""
    seed: int
    """Sampling seed (ignored when greedy)."""
    cache: KVCache | None = None
    """The cache of this episode's previous turn, to continue; None starts from nothing."""


@dataclass
class _Row:
    """A request in the loop: its cache, how much of its prompt is in it, what it generated."""

    request: DecodeRequest
    future: Future
    cache: KVCache
    generator: Any
    started: float
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    first_token_s: float = 0.0

    def pending(self) -> Sequence[int]:
        """Ids to feed next: the rest of the prompt, or the last sampled token."""
        prompt = self.request.prompt
        if len(self.cache) < len(prompt):
            return prompt[len(self.cache) :]
        return self.tokens[-1:]


class ContinuousDecoder:
    """Generates turns for many concurrent requests, each joining and leaving the batch between tokens.

    Args:
        model: A Llama-family causal LM (:func:`supports_packing`), possibly wrapped by ``peft``.
        eos_ids: Ids that end a turn.
        max_new_tokens: Generation budget per turn.
        temperature: 0 for greedy decoding.
        top_p: Nucleus sampling mass.
        max_rows: Most turns in the loop at once (the others wait in a queue).
        prefill_chunk: Most prompt tokens fed in one step, over all rows: a long prompt is fed over several
            steps so that the rows decoding meanwhile keep going.
    """

    def __init__(
        self,
        model: Any,
        *,
        eos_ids: frozenset[int],
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_rows: int = 16,
        prefill_chunk: int = 1024,
    ):
        if not supports_packing(model):
            raise ConfigError(f"{type(model).__name__} is not a Llama-family decoder; use generate() for it")
        if max_rows < 1 or prefill_chunk < 1:
            raise ConfigError(f"need max_rows >= 1 and prefill_chunk >= 1, got {max_rows} and {prefill_chunk}")
        self.model = model
        self.eos_ids = eos_ids
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.max_rows = max_rows
        self.prefill_chunk = prefill_chunk
        stack = _decoder_stack(model)
        self._stack = stack
        config = stack.config
        self._heads = int(config.num_attention_heads)
        self._kv_heads = int(config.num_key_value_heads)
        self._head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)
        self._waiting: queue.SimpleQueue[_Row] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.steps = 0
        """Forward passes run so far."""
        self.fed_tokens = 0
        """Tokens fed through the model so far (prompt chunks and decoded tokens)."""
        self.prompt_tokens_fed = 0
        """Of those, prompt tokens (what a turn computes of its prompt: all of it without a cache, else the delta)."""

    def new_cache(self) -> KVCache:
        """An empty cache shaped for this model."""
        layers = len(self._stack.model.layers)
        return KVCache(layers, self._kv_heads, self._head_dim, self._stack.lm_head.weight.dtype)

    def submit(self, request: DecodeRequest) -> Future:
        """Queue a turn; the future resolves to ``(Generation, KVCache)``.

        The cache holds the prompt and the generated ids except the last (which was never fed); pass it back in
        the episode's next request. A request given a cache owns it until its future resolves.
        """
        import torch

        if not request.prompt:
            raise ConfigError("a decode request needs a non-empty prompt")
        cache = request.cache if request.cache is not None else self.new_cache()
        reusable = common_prefix_length(cache.ids, request.prompt)
        cache.crop(min(reusable, len(request.prompt) - 1))  # the last prompt token is always fed: it gives the logits
        generator = torch.Generator().manual_seed(int(request.seed) % 2**63)
        future: Future = Future()
        self._waiting.put(_Row(request, future, cache, generator, time.perf_counter()))
        with self._lock:
            if self._worker is None:  # the loop thread ends when it runs out of work; start one again
                # Not a daemon: the interpreter waits for its last step at exit instead of tearing torch down under
                # it mid-step, which aborted a process ("terminate called without an active exception").
                self._worker = threading.Thread(target=self._loop, name="continuous-decoder")
                self._worker.start()
        return future

    def generate(self, requests: Sequence[DecodeRequest]) -> list[tuple[Generation, KVCache]]:
        """Submit ``requests`` and wait for all of them (a fixed batch, for callers without an event loop)."""
        futures = [self.submit(request) for request in requests]
        return [future.result() for future in futures]

    def _loop(self) -> None:
        import torch

        rows: list[_Row] = []
        try:
            with torch.inference_mode():
                while True:
                    while len(rows) < self.max_rows:
                        try:
                            rows.append(self._waiting.get_nowait())
                        except queue.Empty:
                            break
                    if not rows:
                        with self._lock:
                            if self._waiting.empty():  # checked under the lock that submit() starts workers with
                                self._worker = None
                                return
                        continue
                    rows = self._step(rows)
        except BaseException as exc:  # noqa: BLE001 - every waiting caller must hear of it, then the loop ends
            with self._lock:
                self._worker = None
                while True:
                    try:
                        rows.append(self._waiting.get_nowait())
                    except queue.Empty:
                        break
            for row in rows:
                if not row.future.done():
                    row.future.set_exception(exc)

    def _step(self, rows: list[_Row]) -> list[_Row]:
        """One forward pass over every row's next tokens; sample for rows whose prompt is fully fed."""
        budget = self.prefill_chunk
        feeds: list[tuple[_Row, Sequence[int]]] = []
        for row in rows:
            ids = row.pending()
            if len(ids) > 1:  # a prompt chunk: bounded so the decoding rows are not held up for long
                if budget <= 0:
                    continue
                ids = ids[:budget]
                budget -= len(ids)
            feeds.append((row, ids))
            if len(row.cache) < len(row.request.prompt):
                self.prompt_tokens_fed += len(ids)
        logits = self._forward(feeds)
        sampling = [(index, row) for index, (row, ids) in enumerate(feeds) if len(row.cache) >= len(row.request.prompt)]
        if sampling:
            chosen, chosen_logp = choose_tokens(
                logits[[i for i, _ in sampling]].float(), [row.generator for _, row in sampling], self.temperature, self.top_p
            )
            now = time.perf_counter()
            for (_, row), token, logp in zip(sampling, chosen.tolist(), chosen_logp.tolist(), strict=True):
                if not row.tokens:
                    row.first_token_s = now - row.started
                row.tokens.append(int(token))
                row.logprobs.append(float(logp))
        still: list[_Row] = []
        for row in rows:
            finished = row.tokens and (row.tokens[-1] in self.eos_ids or len(row.tokens) >= self.max_new_tokens)
            if finished:
                generation = Generation(
                    token_ids=tuple(row.tokens), logprobs=tuple(row.logprobs), first_token_s=row.first_token_s
                )
                row.future.set_result((generation, row.cache))
            else:
                still.append(row)
        return still

    def _forward(self, feeds: list[tuple[_Row, Sequence[int]]]) -> Any:
        """Feed each row's ids after its cache; return the logits of each row's last fed position."""
        import torch
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        stack = self._stack
        lengths = [len(ids) for _, ids in feeds]
        starts = [len(row.cache) for row, _ in feeds]
        total = sum(lengths)
        ids = torch.tensor([token for _, row_ids in feeds for token in row_ids], dtype=torch.long)
        positions = torch.cat([torch.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
        for (row, _), start, n in zip(feeds, starts, lengths, strict=True):
            row.cache.reserve(start + n)
        hidden = stack.model.embed_tokens(ids)[None]  # [1, T, hidden]: all rows' tokens as one sequence
        cos, sin = stack.model.rotary_emb(hidden, positions[None])
        group = self._heads // self._kv_heads
        # Each key/value head serves `group` query heads: attention runs on [kv_heads, group * n] queries, so the
        # keys are never repeated per query head (what `enable_gqa` does on CPU, a copy of the whole cache).
        masks = [_causal_mask(n, s + n, group) for s, n in zip(starts, lengths, strict=True)]
        for index, layer in enumerate(stack.model.layers):
            attention = layer.self_attn
            normed = layer.input_layernorm(hidden)
            q = attention.q_proj(normed).view(1, total, self._heads, self._head_dim).transpose(1, 2)
            k = attention.k_proj(normed).view(1, total, self._kv_heads, self._head_dim).transpose(1, 2)
            v = attention.v_proj(normed).view(1, total, self._kv_heads, self._head_dim).transpose(1, 2)
            q, k = apply_rotary_pos_emb(q, k, cos, sin)
            outputs = []
            offset = 0
            for (row, _), start, n, mask in zip(feeds, starts, lengths, masks, strict=True):
                keys, values = row.cache.write(index, start, k[0, :, offset : offset + n], v[0, :, offset : offset + n])
                grouped = q[0, :, offset : offset + n].reshape(self._kv_heads, group * n, self._head_dim)
                out = torch.nn.functional.scaled_dot_product_attention(
                    grouped[None], keys[None], values[None], attn_mask=mask, scale=attention.scaling
                )
                outputs.append(out.reshape(1, self._heads, n, self._head_dim))
                offset += n
            attended = torch.cat(outputs, dim=2).transpose(1, 2).reshape(1, total, self._heads * self._head_dim)
            hidden = hidden + attention.o_proj(attended)
            hidden = hidden + layer.mlp(layer.post_attention_layernorm(hidden))
        for row, row_ids in feeds:
            row.cache.ids.extend(int(token) for token in row_ids)
        ends = torch.tensor(lengths).cumsum(0) - 1
        # The LM head only where a token is sampled: over a 49k vocabulary it would cost as much as the model.
        self.steps += 1
        self.fed_tokens += total
        return stack.lm_head(stack.model.norm(hidden[0, ends]))


def _causal_mask(new: int, length: int, group: int) -> Any:
    """Which of ``length`` keys each of the last ``new`` positions may attend to, for ``group`` query heads stacked
    along the query axis (None when ``new == 1``: the one new position sees every key)."""
    import torch

    if new == 1:
        return None
    query_positions = torch.arange(length - new, length)[:, None]
    return (torch.arange(length)[None, :] <= query_positions).repeat(group, 1)
