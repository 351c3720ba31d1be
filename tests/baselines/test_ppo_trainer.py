"""PPO steps on CPU with a tiny model: finite losses, checkpoints that reload, resume, divergence, refusals."""

import json
import math
import os
import shlex

import pytest
import torch

from agent_gym.baselines.ppo import PPOConfig, PPOTrainer, collate, latest_checkpoint, train
from agent_gym.errors import ConfigError, DivergenceError, TrainingError

CONFIG = PPOConfig.cpu_smoke(learning_rate=1e-3, minibatch_size=2, kl_coef=0.01)


def _params(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_two_steps_have_finite_losses_and_change_the_model(make_lm, make_batch):
    trainer = PPOTrainer(make_lm(0), CONFIG)
    before = _params(trainer.policy)
    for step in range(2):
        metrics = trainer.step(make_batch(step, n=4, turns=2))
        for name in ("loss", "policy_loss", "value_loss", "kl", "reward_mean", "grad_norm"):
            assert math.isfinite(metrics[name]), (name, metrics)
    after = _params(trainer.policy)
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_training_raises_the_logprob_of_rewarded_tokens(make_lm, make_batch):
    """A policy-gradient sanity check: repeated updates on one batch favour the higher-return trajectory."""
    trajectories = [
        t.model_copy(update={"token_rewards": t.token_rewards[:-1] + (reward,)})
        for t, reward in zip(make_batch(3, n=2, turns=1), (1.0, -1.0), strict=True)
    ]
    trainer = PPOTrainer(make_lm(0), PPOConfig.cpu_smoke(learning_rate=3e-3, kl_coef=0.0, minibatch_size=2))
    batch = collate(trajectories)
    start = trainer.score(batch).old_logprobs
    for _ in range(8):
        trainer.step(trajectories)
    end = trainer.score(batch).old_logprobs
    mask = batch.policy_mask
    gain = ((end - start) * mask).sum(1) / mask.sum(1)
    assert gain[0] > 0 > gain[1]


def test_checkpoint_reloads_with_from_pretrained_and_resumes(make_lm, make_batch, tokenizer, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def collect(policy, step):
        return make_batch(100 + step, n=4, turns=2)

    trainer = PPOTrainer(make_lm(0), CONFIG)
    history = train(trainer, collect, steps=2, output_dir=tmp_path, tokenizer=tokenizer)
    assert [m["step"] for m in history] == [1.0, 2.0]
    checkpoint = latest_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.name == "checkpoint-2"
    for directory in (checkpoint, tmp_path):  # the checkpoint and the final model both load like any model
        loaded = AutoModelForCausalLM.from_pretrained(directory)
        for name, value in trainer.policy.state_dict().items():
            assert torch.equal(loaded.state_dict()[name], value), name
        assert AutoTokenizer.from_pretrained(directory).chat_template == tokenizer.chat_template

    # "Interrupt" after step 2, then resume to step 3 with a fresh trainer: same result as one run of 3 steps.
    resumed = PPOTrainer(make_lm(0), CONFIG)
    train(resumed, collect, steps=3, output_dir=tmp_path, tokenizer=tokenizer)
    straight = PPOTrainer(make_lm(0), CONFIG)
    train(straight, collect, steps=3, output_dir=tmp_path / "straight")
    for name, value in straight.policy.state_dict().items():
        assert torch.allclose(resumed.policy.state_dict()[name], value, atol=1e-6), name
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == [1.0, 2.0, 3.0] and [m["inexact_turns"] for m in lines] == [0.0] * 3


def test_nan_reward_stops_training_and_keeps_the_last_good_checkpoint(make_lm, make_batch, tmp_path):
    def collect(policy, step):
        batch = make_batch(step, n=4, turns=2)
        if step == 2:
            bad = batch[0].model_copy(update={"token_rewards": (float("nan"),) * len(batch[0].token_rewards)})
            batch = [bad, *batch[1:]]
        return batch

    trainer = PPOTrainer(make_lm(0), CONFIG)
    with pytest.raises(DivergenceError, match=r"step 3: a reward is nan.*checkpoint-2"):
        train(trainer, collect, steps=5, output_dir=tmp_path)
    assert latest_checkpoint(tmp_path).name == "checkpoint-2"


def test_nan_loss_stops_before_the_update(make_lm, make_batch):
    trainer = PPOTrainer(make_lm(0), CONFIG)
    with torch.no_grad():
        trainer.model.value_head.weight.fill_(float("inf"))
    before = _params(trainer.policy)
    with pytest.raises(DivergenceError, match="no checkpoint had been saved yet"):
        trainer.step(make_batch(0))
    after = _params(trainer.policy)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_bf16_on_cpu_is_refused_with_the_fix(make_lm):
    with pytest.raises(ConfigError, match="bf16=False"):
        PPOTrainer(make_lm(0), PPOConfig(bf16=True))


def test_gpu_config_without_gpu_is_refused_with_the_fix(make_lm, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="use_cpu=True"):
        PPOTrainer(make_lm(0), PPOConfig(use_cpu=False))


def test_ablation_switches_train(make_lm, make_batch):
    no_adv_mask = CONFIG.model_copy(update={"advantage_mask": False})
    for config in (no_adv_mask, PPOConfig.cpu_smoke(advantage_mask=False, loss_mask=False)):
        metrics = PPOTrainer(make_lm(0), config).step(make_batch(0))
        assert math.isfinite(metrics["loss"])


class _RunsCode:
    """Unpickling this runs a shell command that creates ``marker``: what a hostile checkpoint would carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def _one_step_run(make_lm, make_batch, output_dir):
    train(PPOTrainer(make_lm(0), CONFIG), lambda policy, step: make_batch(step), steps=1, output_dir=output_dir)
    return output_dir / "checkpoint-1"


@pytest.mark.parametrize("poisoned", ["trainer_state.pt", "value_head.pt"])
def test_resume_refuses_a_checkpoint_that_would_run_code(poisoned, make_lm, make_batch, tmp_path):
    checkpoint = _one_step_run(make_lm, make_batch, tmp_path / "run")
    control, marker = tmp_path / "control", tmp_path / "marker"
    torch.save({"step": 1, "payload": _RunsCode(control)}, tmp_path / "control.pt")
    torch.load(tmp_path / "control.pt", weights_only=False)
    assert control.exists()  # the payload is real: a full unpickle runs it
    torch.save({"step": 1, "payload": _RunsCode(marker)}, checkpoint / poisoned)
    with pytest.raises(TrainingError) as refused:
        train(PPOTrainer(make_lm(0), CONFIG), lambda policy, step: make_batch(step), steps=2, output_dir=tmp_path / "run")
    assert str(refused.value) == (
        f"checkpoint {checkpoint} was not loaded: it holds more than tensors and numbers (Trying to load unsupported "
        "GLOBAL posix.system whose module posix is blocked), and unpickling it could run code; resume only from "
        "checkpoints you made, or use a new --output-dir"
    )
    assert not marker.exists()


def test_resume_from_a_damaged_state_file_says_which_checkpoint(make_lm, make_batch, tmp_path):
    checkpoint = _one_step_run(make_lm, make_batch, tmp_path)
    state = checkpoint / "trainer_state.pt"
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(TrainingError) as refused:
        train(PPOTrainer(make_lm(0), CONFIG), lambda policy, step: make_batch(step), steps=2, output_dir=tmp_path)
    assert str(refused.value) == (
        f"checkpoint {checkpoint} is damaged (PytorchStreamReader failed reading zip archive: failed finding central "
        "directory); delete it to resume from the one before, or use a new --output-dir"
    )


def test_gradient_checkpointing_changes_no_number(make_lm, make_batch):
    from peft import get_peft_model

    from agent_gym.baselines.policies.adapters import lora_config

    results = []
    for checkpointing in (False, True):
        config = CONFIG.model_copy(update={"gradient_checkpointing": checkpointing, "minibatch_size": 4})
        trainer = PPOTrainer(get_peft_model(make_lm(0), lora_config(2)), config)
        metrics = trainer.step(make_batch(5, n=4, turns=2))
        weights = {k: v.detach().clone() for k, v in trainer.policy.named_parameters() if v.requires_grad}
        results.append((metrics, weights, trainer.policy.get_base_model().model.gradient_checkpointing))
    (plain, plain_weights, off), (checkpointed, checkpointed_weights, on) = results
    assert not off and on
    assert plain["loss"] == pytest.approx(checkpointed["loss"], abs=1e-6)
    assert plain["grad_norm"] == pytest.approx(checkpointed["grad_norm"], rel=1e-4)
    for name, value in plain_weights.items():
        assert torch.allclose(value, checkpointed_weights[name], atol=1e-6), name
