"""GRPO through TRL scores the policy's tokens only, with TRL's own numbers there.

The subclass's log-probabilities and entropies equal TRL's ``_get_per_token_logps_and_entropies`` at the
loss mask's positions (within 1e-5, at a sampling temperature other than 1, for a model and a LoRA adapter),
their gradients equal TRL's, and in a real training step the LM head sees exactly the policy tokens.
"""

import pytest
import torch

import agent_gym  # noqa: F401  (registers the envs)
from agent_gym.baselines.grpo.config import GRPORecipe
from agent_gym.baselines.grpo.recipe import build_grpo_trainer
from agent_gym.rollout.tasks import TaskPlan

PLAN = TaskPlan.for_env("KeyValueLookup-v0", {"hops": 1, "reward": "process"})
RECIPE = GRPORecipe(steps=1, max_new_tokens=6, learning_rate=1e-3, temperature=0.7)
TOL = 1e-5

pytestmark = pytest.mark.slow


def _model(make_lm, peft: bool):
    model = make_lm(0)
    if not peft:
        return model
    from peft import get_peft_model

    from agent_gym.baselines.policies.adapters import lora_config

    model = get_peft_model(model, lora_config(2))
    with torch.no_grad():  # a trained adapter (B != 0), so that it changes the outputs
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    return model


def _inputs(seed=0, rows=3, prompt=5, completion=12, vocab=259):
    """Left-padded prompts, right-padded completions and a loss mask with env-token gaps, as TRL builds them."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, vocab, (rows, prompt + completion), generator=g)
    attention = torch.ones_like(ids)
    attention[0, :2] = 0  # prompt padding
    attention[1, -3:] = 0  # completion padding
    env = torch.ones(rows, completion, dtype=torch.long)
    env[:, 3:7] = 0  # an env turn in the middle of each completion
    loss_mask = attention[:, prompt:] * env
    return ids, attention, completion, loss_mask


class _Rows(list):
    """The rows that reach the vocabulary kernel (TRL's fused head and ours both call it)."""

    def __init__(self, monkeypatch):
        super().__init__()
        from trl.kernels import ChunkedLogProbFunction

        rows = self

        class Spy:
            @staticmethod
            def apply(hidden, *args):
                rows.append(hidden.shape[0])
                return ChunkedLogProbFunction.apply(hidden, *args)

        monkeypatch.setattr("trl.kernels.ChunkedLogProbFunction", Spy)
        monkeypatch.setattr("trl.trainer.utils._ChunkedLogProbFunction", Spy)  # TRL's fused head's own import


@pytest.mark.parametrize("peft", [False, True], ids=["full-model", "lora"])
def test_policy_token_logprobs_and_entropies_equal_trls_at_the_loss_mask(make_lm, tokenizer, tmp_path, peft, monkeypatch):
    from trl import GRPOTrainer

    trainer, _ = build_grpo_trainer(_model(make_lm, peft), tokenizer, PLAN, RECIPE, tmp_path)
    ids, attention, width, mask = _inputs()
    rows = _Rows(monkeypatch)
    with torch.no_grad():
        trl_scores = GRPOTrainer._get_per_token_logps_and_entropies
        theirs = trl_scores(trainer, trainer.model, ids, attention, width, compute_entropy=True)
        trainer._loss_mask = mask
        ours = trainer._get_per_token_logps_and_entropies(trainer.model, ids, attention, width, compute_entropy=True)
    on = mask.bool()
    for name, a, b in zip(("logprobs", "entropy"), ours[:2], theirs[:2], strict=True):
        assert torch.allclose(a[on], b[on], atol=TOL, rtol=0), name
        assert torch.all(a[~on] == 0), name
    assert rows == [ids.size(0) * (ids.size(1) - 1), int(mask.sum())]  # TRL's: every position (CPU); ours: the mask


def test_gradients_equal_trls(make_lm, tokenizer, tmp_path):
    from trl import GRPOTrainer

    trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)
    ids, attention, width, mask = _inputs(1)
    grads = []
    for method in (GRPOTrainer._get_per_token_logps_and_entropies, type(trainer)._get_per_token_logps_and_entropies):
        trainer.model.zero_grad()
        trainer._loss_mask = mask
        logps, entropy, _ = method(trainer, trainer.model, ids, attention, width, compute_entropy=True)
        ((logps * mask).sum() + 0.1 * (entropy * mask).sum()).backward()
        grads.append({n: p.grad.clone() for n, p in trainer.model.named_parameters()})
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=TOL, rtol=1e-4), name


def test_a_training_step_projects_exactly_the_policy_tokens(make_lm, tokenizer, tmp_path, monkeypatch):
    trainer, rollout_func = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)
    policy_tokens = []

    def recording(prompts, trainer_):
        out = rollout_func(prompts, trainer_)
        policy_tokens.append(sum(sum(m) for m in out["env_mask"]))
        out["env_reward"] = [float(i % 2) for i in range(len(prompts))]  # a spread, so the group has advantages
        return out

    trainer.rollout_func = recording
    rows = _Rows(monkeypatch)
    trainer.train()
    assert len(policy_tokens) == 1 and policy_tokens[0] > 0
    # One forward per micro-batch, each over its own loss mask: the step's policy tokens, nothing else.
    assert len(rows) == RECIPE.num_generations // RECIPE.micro_batch and sum(rows) == policy_tokens[0]


def test_the_generation_batch_is_scored_at_its_env_mask(make_lm, tokenizer, tmp_path):
    trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, RECIPE, tmp_path)
    _, attention, width, mask = _inputs(2)
    completion = attention[:, -width:]
    assert torch.equal(trainer._scored(completion), completion)  # nothing known: every completion token
    trainer._env_mask = [[1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]] * 2 + [[1, 1, 1, 0, 0, 0, 0, 1]]  # unpadded, as TRL's
    assert torch.equal(trainer._scored(completion), mask)


def test_gradient_checkpointing_still_applies_and_changes_no_number(make_lm, tokenizer, tmp_path):
    """The override calls the backbone, not the model's forward: the recipe's checkpointing must still engage."""
    ids, attention, width, mask = _inputs(3)
    results = []
    for checkpointing in (False, True):
        recipe = RECIPE.model_copy(update={"gradient_checkpointing": checkpointing})
        trainer, _ = build_grpo_trainer(make_lm(0), tokenizer, PLAN, recipe, tmp_path / str(checkpointing))
        if checkpointing:  # TRL's Trainer enables it when training starts; the same call, made here
            trainer.model.gradient_checkpointing_enable(trainer.args.gradient_checkpointing_kwargs)
        trainer.model.train()
        trainer._loss_mask = mask
        kept = []  # what autograd keeps for the backward pass (a checkpointed layer keeps its input only)
        with torch.autograd.graph.saved_tensors_hooks(lambda t, kept=kept: kept.append(t.numel()) or t, lambda t: t):
            logps, _, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, attention, width)
        ((logps * mask).sum()).backward()
        grads = {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}
        results.append((logps.detach(), grads, sum(kept)))
    (plain, plain_grads, plain_kept), (checkpointed, checkpointed_grads, checkpointed_kept) = results
    assert checkpointed_kept < plain_kept / 2
    assert torch.allclose(plain, checkpointed, atol=TOL, rtol=0)
    assert plain_grads.keys() == checkpointed_grads.keys()
    for name, grad in plain_grads.items():
        assert torch.allclose(grad, checkpointed_grads[name], atol=TOL, rtol=1e-4), name
