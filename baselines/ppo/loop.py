"""The PPO training loop: collect → update → log → checkpoint, resumable and stopped on divergence.

Layout of ``output_dir``::

    checkpoint-<step>/     policy (``from_pretrained``-loadable), tokenizer, value_head.pt, trainer_state.pt
    metrics.jsonl          one line per step: step, reward_mean, losses, inexact_turns, seconds
    config.json, model     the final policy (and tokenizer) at the top level, loadable like any checkpoint

A run restarted with the same ``output_dir`` resumes from its newest checkpoint; rollouts are seeded by
step, so a resumed run collects the same episodes as an uninterrupted one would have.
"""

from __future__ import annotations

import json
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from agent_gym.baselines.checkpoints import checkpoint_step, newest_checkpoint, snapshot_adapter
from agent_gym.baselines.policies.adapters import is_peft_model, save_adapter
from agent_gym.baselines.ppo.trainer import PPOTrainer
from agent_gym.errors import DivergenceError, TrainingError
from agent_gym.rollout.trajectory import TokenTrajectory

__all__ = ["Collect", "latest_checkpoint", "load_checkpoint", "save_checkpoint", "train"]

Collect = Callable[[torch.nn.Module, int], list[TokenTrajectory]]
"""``collect(policy, step)``: the batch of trajectories for a step, sampled from ``policy`` with step-derived seeds."""

_STATE_FILE = "trainer_state.pt"
_KEEP = 2


def save_checkpoint(trainer: PPOTrainer, directory: str | Path, tokenizer: Any = None) -> Path:
    """Write everything needed to resume into ``directory`` (the policy loads with ``from_pretrained``)."""
    directory = Path(directory)
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    trainer.model.save(partial)
    if tokenizer is not None:
        tokenizer.save_pretrained(partial)
    state = {
        "step": trainer.step_count,
        "optimizer": trainer.optimizer.state_dict(),
        "generator": trainer.generator.get_state(),
        "config": trainer.config.model_dump(),
    }
    torch.save(state, partial / _STATE_FILE)
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)  # a crash mid-save never leaves a half-written checkpoint under the real name
    trainer.last_checkpoint = str(directory)
    return directory


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete ``checkpoint-<step>`` in ``output_dir``, or None."""
    return newest_checkpoint(output_dir, _STATE_FILE)


def load_checkpoint(trainer: PPOTrainer, directory: str | Path) -> None:
    """Restore policy, value head, optimizer, step and shuffling state from :func:`save_checkpoint`'s output.

    Raises:
        TrainingError: the checkpoint does not match the policy (another model), a file is damaged, or a ``.pt``
            file holds more than tensors and plain data (it is loaded with ``weights_only=True``: it could run code).
    """
    from safetensors.torch import load_file

    directory = Path(directory)
    weights = {}
    for shard in sorted(directory.glob("*.safetensors")):
        weights.update(load_file(shard))
    if is_peft_model(trainer.policy):  # the checkpoint holds the adapter only, under peft's own key names
        from peft import set_peft_model_state_dict

        result = set_peft_model_state_dict(trainer.policy, weights)
        missing, unexpected = [], list(result.unexpected_keys)
        if not weights:
            missing = ["adapter_model.safetensors"]
    else:
        missing, unexpected = trainer.policy.load_state_dict(weights, strict=False)
    tied = {"lm_head.weight"} if getattr(trainer.policy.config, "tie_word_embeddings", False) else set()
    if unexpected or set(missing) - tied:
        raise TrainingError(
            f"checkpoint {directory} does not fit this policy (missing {sorted(missing)[:3]}, unexpected "
            f"{sorted(unexpected)[:3]}); resume with the model it was trained from, or use a new --output-dir"
        )
    try:
        trainer.model.load_value_head(directory)
        # weights_only: a checkpoint folder may come from someone else, and a full unpickle runs any code it names.
        state = torch.load(directory / _STATE_FILE, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise TrainingError(
            f"checkpoint {directory} was not loaded: it holds more than tensors and numbers "
            f"({_reason(exc)}), and unpickling it could run code; resume only from checkpoints you made, "
            "or use a new --output-dir"
        ) from None
    except (RuntimeError, EOFError) as exc:
        raise TrainingError(
            f"checkpoint {directory} is damaged ({_reason(exc)}); delete it to resume from the one before, "
            "or use a new --output-dir"
        ) from None
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.generator.set_state(state["generator"])
    trainer.step_count = int(state["step"])
    trainer.last_checkpoint = str(directory)


def train(
    trainer: PPOTrainer,
    collect: Collect,
    steps: int,
    output_dir: str | Path,
    *,
    tokenizer: Any = None,
    save_every: int = 1,
    log: Callable[[dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Run PPO until ``steps`` updates are done, resuming from ``output_dir``'s newest checkpoint.

    Returns:
        The metrics of the steps run by this call.

    Raises:
        DivergenceError: a reward or loss became NaN/inf; the newest checkpoint is the last good one.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    resume = latest_checkpoint(output_dir)
    if resume is not None:
        load_checkpoint(trainer, resume)
    history: list[dict[str, float]] = []
    while trainer.step_count < steps:
        began = time.perf_counter()
        trajectories = collect(trainer.policy, trainer.step_count)
        try:
            metrics = trainer.step(trajectories)
        except DivergenceError:
            trainer.step_count -= 1
            raise
        inexact = float(sum(len(t.inexact_turns) for t in trajectories))  # ids exact; the template's text differs
        metrics = {"step": float(trainer.step_count), **metrics, "inexact_turns": inexact, "seconds": time.perf_counter() - began}
        history.append(metrics)
        with open(output_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(metrics) + "\n")
        if log is not None:
            log(metrics)
        if trainer.step_count % save_every == 0 or trainer.step_count == steps:
            snapshot_adapter(save_checkpoint(trainer, output_dir / f"checkpoint-{trainer.step_count}", tokenizer), output_dir)
            _prune(output_dir)
    if is_peft_model(trainer.policy):  # trained through an adapter: what ships is the (float16) adapter
        save_adapter(trainer.policy, output_dir)
        return history
    trainer.policy.save_pretrained(output_dir)
    if tokenizer is not None:
        tokenizer.save_pretrained(output_dir)
    return history


def _reason(exc: BaseException) -> str:
    """The sentence of torch's many-line message that says what went wrong (the refused global, if any)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    line = next((line for line in lines if "GLOBAL" in line), lines[0])
    return line.split(". ")[0].rstrip(".")


def _prune(output_dir: Path) -> None:
    found = sorted((p for p in output_dir.glob("checkpoint-*") if checkpoint_step(p) is not None), key=checkpoint_step)
    for old in found[:-_KEEP]:
        shutil.rmtree(old, ignore_errors=True)
