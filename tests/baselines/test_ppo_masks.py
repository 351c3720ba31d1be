"""The masks work: env-token logits and values change neither the policy loss nor the advantages (and do
change them when the masks are switched off, so these tests can fail)."""

import doctest
import importlib

import pytest
import torch

from agent_gym.baselines.ppo import (
    BatchScores,
    PPOConfig,
    advantage_targets,
    collate,
    gae,
    ppo_losses,
    token_logprobs,
)

VOCAB = 259

FULL = PPOConfig(kl_coef=0.01)
NO_ADV_MASK = PPOConfig(kl_coef=0.01, advantage_mask=False)
NO_MASKS = PPOConfig(kl_coef=0.01, advantage_mask=False, loss_mask=False)


def _setup(make_batch, seed=0):
    batch = collate(make_batch(seed, n=4, turns=3))
    g = torch.Generator().manual_seed(seed)
    shape = batch.rewards.shape
    logits = torch.randn(*shape, VOCAB, generator=g)
    values = torch.randn(shape, generator=g)
    old_values = torch.randn(shape, generator=g)
    old_logprobs = token_logprobs(torch.randn(*shape, VOCAB, generator=g), batch.input_ids[:, batch.prompt_width :])
    ref_logprobs = old_logprobs + 0.1 * torch.randn(shape, generator=g)
    return batch, logits, values, old_values, old_logprobs, ref_logprobs


def _env_tokens(batch):
    env = (batch.valid_mask - batch.policy_mask).bool()
    assert env.any() and batch.policy_mask.bool().any()
    return env


def _loss(batch, logits, values, old_values, old_logprobs, ref_logprobs, config):
    adv, ret, _ = advantage_targets(batch, old_values, config)
    stats = BatchScores(old_logprobs, old_values, ref_logprobs, adv, ret)
    logprobs = token_logprobs(logits, batch.input_ids[:, batch.prompt_width :])
    return ppo_losses(batch, logprobs, values, stats, config)


def test_env_token_logits_do_not_change_the_policy_loss(make_batch):
    batch, logits, values, old_values, old_lp, ref_lp = _setup(make_batch)
    env = _env_tokens(batch)
    shaken = logits.clone()
    shaken[env] += 10.0 * torch.randn_like(shaken[env])
    for config in (FULL, NO_ADV_MASK):
        before = _loss(batch, logits, values, old_values, old_lp, ref_lp, config)
        after = _loss(batch, shaken, values, old_values, old_lp, ref_lp, config)
        for term in ("policy_loss", "kl", "loss"):
            assert torch.equal(before[term], after[term]), term
    # Without the loss mask the env's tokens are trained on, so the same change moves the loss.
    before = _loss(batch, logits, values, old_values, old_lp, ref_lp, NO_MASKS)
    after = _loss(batch, shaken, values, old_values, old_lp, ref_lp, NO_MASKS)
    assert not torch.allclose(before["policy_loss"], after["policy_loss"])


def test_env_token_values_do_not_change_the_advantages(make_batch):
    batch, _, _, old_values, _, _ = _setup(make_batch, 1)
    env = _env_tokens(batch)
    shaken = old_values.clone()
    shaken[env] = 100.0 * torch.randn_like(shaken[env])
    adv_before, ret_before, _ = advantage_targets(batch, old_values, FULL)
    adv_after, ret_after, _ = advantage_targets(batch, shaken, FULL)
    assert torch.equal(adv_before, adv_after)
    assert torch.equal(ret_before, ret_after)
    assert torch.all(adv_before[env] == 0)
    # Without the advantage mask the env tokens are steps of GAE and their values leak into the advantages.
    adv_before, _, _ = advantage_targets(batch, old_values, NO_ADV_MASK)
    adv_after, _, _ = advantage_targets(batch, shaken, NO_ADV_MASK)
    assert not torch.allclose(adv_before[batch.policy_mask.bool()], adv_after[batch.policy_mask.bool()])


def test_env_token_values_do_not_change_the_value_loss(make_batch):
    batch, logits, values, old_values, old_lp, ref_lp = _setup(make_batch, 2)
    env = _env_tokens(batch)
    shaken = values.clone()
    shaken[env] += 50.0
    before = _loss(batch, logits, values, old_values, old_lp, ref_lp, FULL)
    after = _loss(batch, logits, shaken, old_values, old_lp, ref_lp, FULL)
    assert torch.equal(before["value_loss"], after["value_loss"])


def test_gae_skips_env_tokens_and_bootstraps_across_them():
    # turn 1: tokens 0-1 (reward 0.5 on token 1), env tokens 2-3, turn 2: tokens 4-5 (reward 1 on token 5)
    rewards = torch.tensor([[0.0, 0.5, 0.0, 0.0, 0.0, 1.0]])
    values = torch.tensor([[0.1, 0.2, 7.0, 7.0, 0.3, 0.4]])
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0, 1.0, 1.0]])
    adv, ret = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    d5 = 1.0 - 0.4
    d4 = 0.0 + 0.9 * 0.4 - 0.3
    d1 = 0.5 + 0.9 * 0.3 - 0.2  # the value after turn 1's last token is turn 2's first value, not an env value
    d0 = 0.0 + 0.9 * 0.2 - 0.1
    a5, a4 = d5, d4 + 0.72 * d5
    a1 = d1 + 0.72 * a4
    a0 = d0 + 0.72 * a1
    assert adv[0].tolist() == pytest.approx([a0, a1, 0.0, 0.0, a4, a5])
    assert ret[0].tolist() == pytest.approx([a0 + 0.1, a1 + 0.2, 0.0, 0.0, a4 + 0.3, a5 + 0.4])


def test_undiscounted_returns_are_the_reward_to_go():
    rewards = torch.tensor([[0.0, -0.1, 0.0, 0.0, 1.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0, 1.0, 1.0]])
    _, ret = gae(rewards, torch.zeros_like(rewards), mask)
    assert ret[0].tolist() == pytest.approx([0.9, 0.9, 0.0, 1.0, 1.0])


def test_loss_mask_without_advantage_mask_is_refused():
    with pytest.raises(ValueError, match="advantage_mask=False"):
        PPOConfig(loss_mask=False)


@pytest.mark.parametrize("name", ["advantages", "losses", "value_head", "runtime", "batch"])
def test_docstring_examples(name):
    module = importlib.import_module(f"agent_gym.baselines.ppo.{name}")
    assert doctest.testmod(module).failed == 0


def test_public_names_are_pinned():
    import agent_gym.baselines.grpo.config as grpo_config
    import agent_gym.baselines.grpo.recipe as grpo_recipe
    import agent_gym.baselines.ppo as ppo

    assert {"PPOConfig", "PPOTrainer", "PolicyWithValue", "gae", "train", "advantage_targets", "ppo_losses"} <= set(ppo.__all__)
    assert all(hasattr(ppo, name) for name in ppo.__all__)
    assert grpo_config.__all__ == ["PRESETS", "GRPORecipe"]
    grpo_names = ["NO_SPREAD", "build_grpo_trainer", "run_grpo", "save_final", "train_grpo", "zero_spread_warning"]
    assert grpo_recipe.__all__ == grpo_names
