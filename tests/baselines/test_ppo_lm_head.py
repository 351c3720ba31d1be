"""The LM head runs at the loss mask's tokens only, and what it computes there is the full computation's.

Each test can fail: a head applied to every position shows up in the row count (and in the LM head's own
forward, which the scoring path never calls), and a wrong gather or offset moves the log-probabilities.
"""

import pytest
import torch

from agent_gym.baselines.ppo import PolicyWithValue, PPOConfig, PPOTrainer, collate, token_logprobs
from agent_gym.baselines.ppo.trainer import loss_mask

TOL = 1e-5


def _full(model: PolicyWithValue, batch):
    """The computation before this module: the model's own forward, full-vocabulary logits at every column."""
    out = model.policy(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=batch.position_ids,
        output_hidden_states=True,
        use_cache=False,
    )
    start, width = batch.prompt_width - 1, batch.input_ids.shape[1] - batch.prompt_width
    logprobs = token_logprobs(out.logits[:, start : start + width], batch.input_ids[:, batch.prompt_width :])
    values = model.value_head(out.hidden_states[-1][:, start : start + width]).squeeze(-1)
    return logprobs, values


class _Rows:
    """Counts the rows that reach the head: the vocabulary kernel's input and the head module's own forward."""

    def __init__(self, monkeypatch, head: torch.nn.Module):
        from trl.kernels import ChunkedLogProbFunction

        self.kernel, self.module = [], []
        kernel = self.kernel

        class Spy:
            @staticmethod
            def apply(hidden, *args):
                kernel.append(hidden.shape[0])
                return ChunkedLogProbFunction.apply(hidden, *args)

        monkeypatch.setattr("trl.kernels.ChunkedLogProbFunction", Spy)
        head.register_forward_hook(lambda _m, args, _out: self.module.append(args[0].shape[:-1].numel()))


def _lora(make_lm):
    from peft import get_peft_model

    from agent_gym.baselines.policies.adapters import lora_config

    model = get_peft_model(make_lm(0), lora_config(2))
    with torch.no_grad():  # a trained adapter: B is not zero, so the adapter changes the outputs
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5, generator=torch.Generator().manual_seed(hash(name) % 2**31))
    return model


@pytest.mark.parametrize("peft", [False, True], ids=["full-model", "lora"])
def test_masked_logprobs_equal_the_full_computation_at_the_masked_positions(make_lm, make_batch, peft):
    model = PolicyWithValue(_lora(make_lm) if peft else make_lm(0))
    batch = collate(make_batch(0, n=4, turns=3))
    mask = batch.policy_mask
    with torch.no_grad():
        full_lp, full_values = _full(model, batch)
        logprobs, values = model(batch, mask=mask)
    on = mask.bool()
    assert (~on & batch.valid_mask.bool()).any()  # there are env tokens to skip
    assert torch.allclose(logprobs[on], full_lp[on], atol=TOL, rtol=0)
    assert torch.all(logprobs[~on] == 0)
    assert torch.allclose(values, full_values, atol=TOL, rtol=0)  # the value head still sees every token


def test_gradients_through_the_masked_head_equal_the_full_computation(make_lm, make_batch):
    batch = collate(make_batch(1, n=3, turns=2))
    mask = batch.policy_mask
    grads = []
    for masked in (True, False):
        model = PolicyWithValue(make_lm(0))
        logprobs = model(batch, mask=mask)[0] if masked else _full(model, batch)[0]
        ((logprobs * mask).sum() / mask.sum()).backward()
        grads.append({n: p.grad.clone() for n, p in model.policy.named_parameters()})
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=TOL, rtol=1e-4), name


def test_the_head_sees_only_the_loss_mask_rows(make_lm, make_batch, monkeypatch):
    model = PolicyWithValue(make_lm(0))
    rows = _Rows(monkeypatch, model.policy.get_output_embeddings())
    batch = collate(make_batch(2, n=4, turns=3))
    with torch.no_grad():
        model(batch, mask=batch.policy_mask)
    assert rows.kernel == [int(batch.policy_mask.sum())] and rows.module == []
    assert rows.kernel[0] < int(batch.valid_mask.sum())


ABLATION = PPOConfig.cpu_smoke(kl_coef=0.01, advantage_mask=False, loss_mask=False)


@pytest.mark.parametrize(
    ("config", "mask_name"),
    [(PPOConfig.cpu_smoke(kl_coef=0.01), "policy_mask"), (ABLATION, "valid_mask")],
    ids=["loss-mask", "ablation"],
)
def test_a_ppo_step_scores_the_loss_mask_rows_only(make_lm, make_batch, monkeypatch, config, mask_name):
    trainer = PPOTrainer(make_lm(0), config.model_copy(update={"minibatch_size": 4}))
    rows = _Rows(monkeypatch, trainer.policy.get_output_embeddings())
    trajectories = make_batch(3, n=4, turns=3)
    trainer.step(trajectories)
    expected = int(getattr(collate(trajectories), mask_name).sum())
    assert rows.kernel == [expected] * 3 and rows.module == []  # old, reference, then the one minibatch


def test_the_reference_is_the_starting_policy_and_scoring_it_leaves_the_policy_alone(make_lm, make_batch):
    trainer = PPOTrainer(_lora(make_lm), PPOConfig.cpu_smoke(learning_rate=1e-2, kl_coef=0.01))
    batch = collate(make_batch(4, n=4, turns=2))
    start = trainer.score(batch).old_logprobs
    trainer.step(make_batch(4, n=4, turns=2))
    weights = {n: p.detach().clone() for n, p in trainer.policy.named_parameters()}
    scores = trainer.score(batch)
    on = loss_mask(batch, trainer.config).bool()
    assert not torch.allclose(scores.old_logprobs[on], start[on], atol=1e-3)  # the policy moved...
    assert torch.allclose(scores.ref_logprobs[on], start[on], atol=TOL, rtol=0)  # ...the reference did not
    for name, p in trainer.policy.named_parameters():
        assert torch.equal(p, weights[name]), name
    # Only the adapter is kept for the reference, not a second model.
    kept = sum(t.numel() for t in trainer.reference._start.values())
    assert 0 < kept < sum(p.numel() for p in trainer.policy.parameters()) / 10
