"""PolicyTokenGRPOTrainer: TRL's ``GRPOTrainer``, with the LM head run at the policy's tokens only.

Our completions are whole multi-turn episodes, mostly the env's tokens (``env_mask`` 0, TRL's ``tool_mask``),
which TRL leaves out of every loss and metric. TRL 1.16 still scores them all: its fused LM head projects every
completion position, and on a device without Triton (CPU) every position of the sequence, prompt included. This
subclass replaces the one scoring method, ``_get_per_token_logps_and_entropies``: the backbone runs over the
whole sequence and the head over the loss mask's positions only (:func:`masked_logprobs`, TRL's own tiled
kernel at TRL's temperature). Elsewhere the log-probabilities and entropies read 0, and every TRL term that reads
them is masked by the same loss mask. Inputs it does not cover (images, an MoE aux loss, an fp32 head cast,
logit scaling, prompt-learning adapters, several processes) go through TRL's method unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
from trl import GRPOTrainer

from agent_gym.baselines.ppo.lm_head import backbone_and_head, masked_logprobs

__all__ = ["PolicyTokenGRPOTrainer"]

_LOGIT_SCALING = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")


class PolicyTokenGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` whose log-probabilities cost nothing at the tokens it does not train on."""

    _loss_mask: torch.Tensor | None = None
    """``[B, C]`` completion_mask × tool_mask of the micro-batch whose loss is being computed."""
    _env_mask: list[list[int]] | None = None
    """The tool mask of the last generation batch, for the old and reference log-probabilities scored with it."""

    def _generate(self, prompts: list) -> tuple:
        out = super()._generate(prompts)
        self._env_mask = out[2]  # (prompt_ids, completion_ids, tool_mask, ...)
        return out

    def _compute_loss(self, model: Any, inputs: dict[str, Any]) -> torch.Tensor:
        mask = inputs["completion_mask"]
        self._loss_mask = mask * inputs["tool_mask"] if "tool_mask" in inputs else mask
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._loss_mask = None

    def _get_per_token_logps_and_entropies(
        self,
        model: Any,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        logits_to_keep: int,
        batch_size: int | None = None,
        compute_entropy: bool = False,
        compute_aux_loss: bool = False,
        **media: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        unwrapped = self.accelerator.unwrap_model(model)
        if compute_aux_loss or any(v is not None for v in media.values()) or not self._covers(unwrapped):
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy, compute_aux_loss, **media
            )
        mask = self._scored(attention_mask[:, -logits_to_keep:])
        backbone, head = backbone_and_head(unwrapped)
        batch_size = batch_size or input_ids.size(0)  # rows per forward, as in TRL
        logps, entropies = [], []
        for start in range(0, input_ids.size(0), batch_size):
            rows = slice(start, start + batch_size)
            with self.accelerator.autocast():
                out = backbone(input_ids=input_ids[rows], attention_mask=attention_mask[rows], use_cache=False)
                # Column t of the completion is predicted by the hidden state one column before it.
                hidden = out.last_hidden_state[:, -logits_to_keep - 1 : -1]
                targets = input_ids[rows, -logits_to_keep:]
                lp, ent = masked_logprobs(
                    hidden, head, targets, mask[rows], temperature=self.temperature, entropy=compute_entropy
                )
            logps.append(lp)
            entropies.append(ent)
        return torch.cat(logps), torch.cat(entropies) if compute_entropy else None, None

    def _covers(self, model: Any) -> bool:
        config = model.config.get_text_config()
        prompt_learning = getattr(getattr(model, "active_peft_config", None), "is_prompt_learning", False)
        return not (
            prompt_learning
            or self.args.cast_lm_head_to_fp32
            or self.accelerator.num_processes > 1  # DDP must see the forward: go through the wrapped model
            or any(getattr(config, name, None) is not None for name in _LOGIT_SCALING)
        )

    def _scored(self, completion_mask: torch.Tensor) -> torch.Tensor:
        """The positions to score: the loss mask when it is known, else every real completion token."""
        if self._loss_mask is not None and self._loss_mask.shape == completion_mask.shape:
            return self._loss_mask
        width = completion_mask.size(1)
        env = self._env_mask
        if env is not None and len(env) == completion_mask.size(0) and all(len(m) <= width for m in env):
            padded = [list(m) + [1] * (width - len(m)) for m in env]  # TRL pads the tool mask with 1
            return completion_mask * torch.tensor(padded, device=completion_mask.device, dtype=completion_mask.dtype)
        return completion_mask
