"""TransformersPolicy: any local causal LM (a checkpoint folder or a GGUF file), batched, greedy or seeded.

Each turn returns the generated ids exactly as sampled, their log-probabilities and the prompt ids it was
generated from. The prompt of a later turn is *not* the re-tokenised history: it is the previous prompt, the
previous turn's generated ids and the env's tokenised chat-template delta
(:meth:`agent_gym.rollout.chat_tokens.ChatTokenizer.env_delta`), the same ids the trajectory builder produces, so
what the model saw during the rollout is exactly what a trainer scores. Prompts longer than the context window
minus ``max_new_tokens`` are cut by :func:`agent_gym.rollout.chat_tokens.truncate_prompt`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError
from agent_gym.rollout.chat_tokens import ChatTokenizer, history_key, truncate_prompt
from agent_gym.rollout.policy import PolicyTurn

__all__ = ["TransformersPolicy", "load_causal_lm"]

_CACHE_SIZE = 4096  # prefix entries kept for continuing episodes


def load_causal_lm(model: str | Path, *, gguf_file: str | None = None, dtype: str = "float32") -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` from local files only (``HF_HUB_OFFLINE`` is set: no hub access).

    Args:
        model: A checkpoint folder, a LoRA adapter folder (:mod:`~agent_gym.baselines.policies.adapters`), or a
            ``.gguf`` file.
        gguf_file: The GGUF file's name inside the ``model`` folder, when ``model`` is a folder.
        dtype: Torch dtype name of the weights.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(model).expanduser()
    from agent_gym.baselines.policies.adapters import is_adapter, load_adapter_model

    if is_adapter(path):  # a LoRA adapter folder: its base, with the adapter merged in
        return load_adapter_model(path, dtype=dtype)
    if path.suffix == ".gguf" and gguf_file is None:
        path, gguf_file = path.parent, path.name
    if not path.exists():
        raise ConfigError(f"no model at {path}; give a local checkpoint folder or a .gguf file (no hub downloads)")
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    lm = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), **kwargs).eval()
    if tokenizer.chat_template is None:
        raise ConfigError(f"the tokenizer of {path} has no chat template; agent-gym policies need a chat model")
    return lm, tokenizer


class TransformersPolicy:
    """A local causal LM as a token-aware policy.

    Args:
        model: A checkpoint folder or a ``.gguf`` file (or an already loaded model, with ``tokenizer``).
        tokenizer: The tokenizer, when ``model`` is a loaded model.
        gguf_file: GGUF file name inside the ``model`` folder.
        max_new_tokens: Generation budget per turn (the env truncates what it finds over-long).
        temperature: 0 for greedy decoding, otherwise seeded sampling.
        top_p: Nucleus sampling mass.
        batch_size: Most histories generated together.
        context_window: Tokens the model attends to; default its ``max_position_embeddings``.
        template_tools: Pass the env's OpenAI tool list to the chat template (for templates that describe tools);
            the env's system prompt already describes them in its own format, so off by default.
        dtype: Torch dtype name of the weights.
        threads: Set torch's (process-wide) CPU thread count; on a shared machine 1 thread avoids OpenMP
            spin-waiting and is several times faster (see ``docs/results.md``). None leaves it as it is.
    """

    def __init__(
        self,
        model: str | Path | Any,
        *,
        tokenizer: Any = None,
        gguf_file: str | None = None,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        batch_size: int = 8,
        context_window: int | None = None,
        template_tools: bool = False,
        dtype: str = "float32",
        threads: int | None = None,
    ):
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        if max_new_tokens < 1 or batch_size < 1 or temperature < 0 or not 0 < top_p <= 1:
            raise ConfigError(
                "need max_new_tokens >= 1, batch_size >= 1, temperature >= 0 and 0 < top_p <= 1, got "
                f"{max_new_tokens}, {batch_size}, {temperature}, {top_p}"
            )
        if isinstance(model, (str, Path)):
            model, tokenizer = load_causal_lm(model, gguf_file=gguf_file, dtype=dtype)
        elif tokenizer is None:
            raise ConfigError("a loaded model needs its tokenizer: TransformersPolicy(model, tokenizer=tokenizer)")
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.batch_size = batch_size
        self.context_window = context_window or int(getattr(model.config, "max_position_embeddings", 2048))
        self.template_tools = template_tools
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._prefixes: OrderedDict[str, tuple[tuple[dict[str, Any], ...], tuple[int, ...], tuple[int, ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self.last_first_token_s = 0.0
        """Prefill time of the last batch (time to first token)."""

    def chat_tokenizer(self, tools: Sequence[dict[str, Any]] | None = None) -> ChatTokenizer:
        """The rendering this policy uses: give it to :func:`agent_gym.rollout.build_trajectory`."""
        return ChatTokenizer(self.tokenizer, tools if self.template_tools else None)

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        from agent_gym.baselines.policies.generation import generate

        chat = self.chat_tokenizer(tools)
        seeds = list(seeds) if seeds is not None else [0] * len(histories)
        turns: list[PolicyTurn] = []
        for start in range(0, len(histories), self.batch_size):
            batch = list(histories[start : start + self.batch_size])
            full = [self._prompt(chat, history) for history in batch]
            prompts = [self._fit(chat, ids, history) for ids, history in zip(full, batch, strict=True)]
            outputs = generate(
                self.model,
                prompts,
                seeds=seeds[start : start + len(batch)],
                max_new_tokens=self.max_new_tokens,
                eos_ids=chat.eos_ids,
                pad_id=self.pad_id,
                temperature=self.temperature,
                top_p=self.top_p,
            )
            self.last_first_token_s = outputs[0].first_token_s if outputs else 0.0
            for history, ids, prompt, out in zip(batch, full, prompts, outputs, strict=True):
                text = chat.turn_text(out.token_ids)
                self._remember(history, text, ids, out.token_ids)
                turns.append(PolicyTurn(text=text, token_ids=out.token_ids, logprobs=out.logprobs, prompt_token_ids=prompt))
        return turns

    def _prompt(self, chat: ChatTokenizer, history: tuple[dict[str, Any], ...]) -> tuple[int, ...]:
        """The full (untruncated) prompt ids: the previous turn's ids plus the env delta, or a fresh render."""
        last = max((i for i, m in enumerate(history) if m.get("role") == "assistant"), default=None)
        if last is not None:
            with self._lock:
                entry = self._prefixes.get(history_key(history[: last + 1]))
            if entry is not None:
                before, prompt, generated = entry
                delta = chat.env_delta(before, generated, history, generation_prompt=True)
                return prompt + generated + delta.ids
        return chat.encode(chat.render(history, generation_prompt=True))

    def _remember(
        self, history: tuple[dict[str, Any], ...], text: str, prompt: tuple[int, ...], generated: tuple[int, ...]
    ) -> None:
        key = history_key((*history, {"role": "assistant", "content": text}))
        with self._lock:
            self._prefixes[key] = (history, prompt, generated)
            self._prefixes.move_to_end(key)
            while len(self._prefixes) > _CACHE_SIZE:
                self._prefixes.popitem(last=False)

    def _fit(self, chat: ChatTokenizer, ids: tuple[int, ...], history: tuple[dict[str, Any], ...]) -> tuple[int, ...]:
        """Apply the truncation rule when the prompt leaves no room for ``max_new_tokens``."""
        budget = self.context_window - self.max_new_tokens
        if len(ids) <= budget:
            return ids
        return truncate_prompt(ids, budget, keep_head=len(chat.prompt_ids(history)))
