"""GRPO through TRL on CPU with a tiny model: steps run with finite losses, env tokens are masked, the
checkpoint reloads, an interrupted run resumes, divergence stops, impossible configs are refused."""

import json
import math

import pytest
import torch

import agent_gym  # noqa: F401  (registers the envs)
from agent_gym.baselines.grpo.config import PRESETS, GRPORecipe
from agent_gym.baselines.grpo.recipe import build_grpo_trainer, run_grpo, train_grpo
from agent_gym.errors import ConfigError, DivergenceError
from agent_gym.rollout.tasks import TaskPlan

ENV = "KeyValueLookup-v0"
ENV_KWARGS = {"hops": 1, "reward": "process"}
RECIPE = GRPORecipe(steps=2, max_new_tokens=6, learning_rate=1e-3)
PLAN = TaskPlan.for_env(ENV, ENV_KWARGS)

pytestmark = pytest.mark.slow


def _vary_rewards(trainer, rewards=(1.0, 0.0, -1.0, 0.5)):
    """A random tiny model scores the same on every episode (zero advantage); give the group a spread."""
    inner = trainer.rollout_func

    def rollout_func(prompts, trainer_):
        out = inner(prompts, trainer_)
        out["env_reward"] = [rewards[i % len(rewards)] for i in range(len(prompts))]
        return out

    trainer.rollout_func = rollout_func
    return inner


def test_two_steps_finite_losses_masked_env_tokens_and_reloadable_checkpoint(make_lm, tokenizer, tmp_path):
    from transformers import AutoModelForCausalLM

    model = make_lm(0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer, rollout_func = build_grpo_trainer(model, tokenizer, PLAN, RECIPE, tmp_path)
    _vary_rewards(trainer)
    trainer.train()
    logs = [row for row in trainer.state.log_history if "loss" in row]
    assert len(logs) == 2
    for row in logs:
        assert math.isfinite(row["loss"]) and math.isfinite(row["grad_norm"]) and row["grad_norm"] > 0
        # TRL counted only the policy tokens (env_mask): 2 turns of at most 6 generated tokens each.
        assert row["completions/max_length"] <= 2 * RECIPE.max_new_tokens
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "checkpoint-2")
    for name, value in model.state_dict().items():
        assert torch.equal(reloaded.state_dict()[name], value), name
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2] and all(math.isfinite(r["reward_mean"]) for r in rows)
    assert all(r["inexact_turns"] >= 0 for r in rows)  # reported with the reward


def test_the_rollout_func_returns_exact_trajectories_with_env_mask(make_lm, tokenizer, tmp_path):
    trainer, rollout_func = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)
    prompt = list(trainer.train_dataset[0]["prompt"])
    out = rollout_func([prompt] * 4, trainer)
    assert set(out) == {"prompt_ids", "completion_ids", "logprobs", "env_mask", "env_reward"}
    assert len({tuple(p) for p in out["prompt_ids"]}) == 1  # one task per group...
    assert len({tuple(c) for c in out["completion_ids"]}) == 4  # ...sampled four different ways
    for ids, mask, logprobs in zip(out["completion_ids"], out["env_mask"], out["logprobs"], strict=True):
        assert len(ids) == len(mask) == len(logprobs)
        assert 0 < sum(mask) < len(mask)  # policy tokens and env tokens
        assert all(lp == 0.0 for lp, m in zip(logprobs, mask, strict=True) if m == 0)
        assert all(lp < 0.0 for lp, m in zip(logprobs, mask, strict=True) if m == 1)
    with pytest.raises(ConfigError, match="task_dataset"):
        rollout_func([[{"role": "user", "content": "not a task"}]], trainer)


def test_an_interrupted_run_resumes_from_its_checkpoint(make_lm, tokenizer, tmp_path):
    one_step = RECIPE.model_copy(update={"steps": 1})
    train_grpo(make_lm(0), tokenizer, PLAN, one_step, tmp_path)
    assert (tmp_path / "checkpoint-1").is_dir()
    train_grpo(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)  # same dir, 2 steps: resumes
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]  # step 1 was not re-run
    state = json.loads((tmp_path / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2


def test_a_nan_reward_stops_training_and_keeps_the_last_good_checkpoint(make_lm, tokenizer, tmp_path):
    recipe = RECIPE.model_copy(update={"steps": 3})
    trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, recipe, tmp_path)
    inner = trainer.rollout_func

    def poisoned(prompts, trainer_):
        out = inner(prompts, trainer_)
        if trainer_.state.global_step == 1:
            out["env_reward"][0] = float("nan")
        return out

    trainer.rollout_func = poisoned
    with pytest.raises(DivergenceError, match=r"step 2: an episode return is nan.*checkpoint-1"):
        run_grpo(trainer, tmp_path)
    assert (tmp_path / "checkpoint-1").is_dir() and not (tmp_path / "checkpoint-2").exists()


def test_bf16_on_cpu_and_gpu_recipe_without_gpu_are_refused(make_lm, tokenizer, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="bf16=False"):
        build_grpo_trainer(make_lm(0), tokenizer, PLAN, GRPORecipe(bf16=True), tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="cpu-smoke"):
        build_grpo_trainer(make_lm(0), tokenizer, PLAN, PRESETS["gpu-agent-r1"], tmp_path)


def test_recipes_mirror_agent_r1_and_split_into_micro_batches(tmp_path):
    gpu = PRESETS["gpu-agent-r1"]
    assert (gpu.prompts_per_step, gpu.num_generations, gpu.learning_rate, gpu.beta, gpu.max_turns) == (128, 5, 1e-6, 0.001, 5)
    config = PRESETS["cpu-smoke"].trl_config(str(tmp_path))
    assert (config.use_cpu, config.bf16, config.mask_truncated_completions) == (True, False, False)
    assert config.per_device_train_batch_size * config.gradient_accumulation_steps == 4
    with pytest.raises(ValueError, match="micro batches"):
        GRPORecipe(prompts_per_step=3, num_generations=2, micro_batch=4)


def test_a_nan_loss_stops_before_the_step_is_checkpointed(make_lm, tokenizer, tmp_path):
    from types import SimpleNamespace

    trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)
    watch = next(cb for cb in trainer.callback_handler.callbacks if type(cb).__name__ == "_Watch")
    state = SimpleNamespace(global_step=4)
    watch.on_log(trainer.args, state, None, logs={"loss": 0.5})
    with pytest.raises(DivergenceError, match="step 4: loss is nan; stopped before checkpointing"):
        watch.on_log(trainer.args, state, None, logs={"loss": float("nan")})
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [4]


def test_grpo_trains_a_peft_adapter_on_and_saves_it_as_an_adapter(make_lm, tokenizer, tmp_path):
    from peft import get_peft_model
    from safetensors.torch import load_file

    from agent_gym.baselines.policies.adapters import EMBEDDED_BASE, adapter_base, lora_config

    model = get_peft_model(make_lm(0), lora_config(2))
    model.peft_config["default"].base_model_name_or_path = EMBEDDED_BASE
    before = {k: v.clone() for k, v in model.named_parameters() if v.requires_grad}
    assert before and all("lora_" in k for k in before)
    trainer, _ = build_grpo_trainer(model, tokenizer, PLAN, RECIPE.model_copy(update={"steps": 1}), tmp_path)
    _vary_rewards(trainer)
    trainer.train()
    after = dict(model.named_parameters())
    assert any(not torch.equal(before[k], after[k]) for k in before)
    from agent_gym.baselines.grpo.recipe import save_final

    save_final(trainer, tokenizer, tmp_path)
    assert adapter_base(tmp_path) == EMBEDDED_BASE and load_file(tmp_path / "adapter_model.safetensors")
    # each checkpoint's adapter stays for the held-out curve: the step-1 snapshot is the trained weights
    from agent_gym.baselines.checkpoints import adapter_snapshots

    snapshots = adapter_snapshots(tmp_path)
    assert list(snapshots) == [1]
    kept, final = load_file(snapshots[1] / "adapter_model.safetensors"), load_file(tmp_path / "adapter_model.safetensors")
    assert kept.keys() == final.keys() and all(torch.allclose(kept[k].half(), final[k]) for k in kept)


def test_a_run_without_reward_spread_says_it_updated_nothing(make_lm, tokenizer, tmp_path, capsys):
    # the random tiny model scores the same on every episode: every group has zero spread, every advantage is 0
    history = train_grpo(make_lm(0), tokenizer, PLAN, RECIPE.model_copy(update={"steps": 1}), tmp_path)
    assert [row["frac_reward_zero_std"] for row in history] == [1.0]
    err = capsys.readouterr().err
    assert "step 1: every group's episodes got the same reward" in err
    assert "WARNING: all 1 steps had no reward spread" in err


def test_a_step_with_reward_spread_raises_no_warning(make_lm, tokenizer, tmp_path, capsys):
    trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE.model_copy(update={"steps": 1}), tmp_path)
    _vary_rewards(trainer)
    trainer.train()
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["frac_reward_zero_std"] < 1.0
    assert "updated nothing" not in capsys.readouterr().err
