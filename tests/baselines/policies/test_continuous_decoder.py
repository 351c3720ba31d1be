"""The continuous decoder: same episodes as the padded full-prefill path, caches reused and bounded, failures heard.

Exactness is checked on whole episodes of the embedded model in ``MultiHopQA-v0`` (greedy and seeded sampling,
concurrency 1 and 16, KV reuse on and off) against ``kv_reuse=False, continuous_batching=False`` (the padded
``generate`` path). Cached and recomputed attention may differ in the last bits, so a greedy token may differ
only at a near tie: wherever a turn diverges, :func:`_assert_near_tie` recomputes the logits of the common prefix
and requires the top two to be within ``NEAR_TIE``.
"""

from __future__ import annotations

import pytest
import torch

import agent_gym  # noqa: F401
from agent_gym.baselines.policies.decoder import ContinuousDecoder, DecodeRequest, supports_packing
from agent_gym.errors import ConfigError
from agent_gym.rollout import RolloutEngine, new_episode_id
from tests.baselines.policies.conftest import HISTORY

NEAR_TIE = 1e-5
ENV_KWARGS = {"top_k": 3, "max_turns": 3}


def _episodes(policy, concurrency: int, n: int):
    engine = RolloutEngine("MultiHopQA-v0", policy, concurrency=concurrency, env_kwargs=ENV_KWARGS)
    return engine.run(range(100, 100 + n), options=[{"index": i} for i in range(n)]), engine


def _assert_near_tie(model, prompt: list[int], generated: list[int], other: list[int]) -> None:
    """The first position where two turns disagree has its top two logits within NEAR_TIE."""
    at = next(j for j, (a, b) in enumerate(zip(generated, other, strict=False)) if a != b)
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([prompt + generated[:at]]), logits_to_keep=1).logits[0, -1].float()
    top = torch.topk(logits, 2).values
    assert float(top[0] - top[1]) <= NEAR_TIE, f"turn diverged at token {at} without a near tie ({float(top[0] - top[1]):.2e})"


def _compare(reference, candidate, policy, *, greedy: bool) -> int:
    """Assert the episodes agree (tokens, logprobs within 1e-4); return how many turns diverged at a near tie."""
    diverged = 0
    assert len(reference) == len(candidate)
    for ref, cand in zip(reference, candidate, strict=True):
        for ref_step, cand_step in zip(ref.steps, cand.steps, strict=False):  # a diverged episode may differ in length
            a, b = ref_step.policy, cand_step.policy
            if a.token_ids != b.token_ids:
                assert greedy, "a seeded sample changed with batching or reuse"
                _assert_near_tie(policy.model, _prompt_of(policy, ref, ref_step), a.token_ids, b.token_ids)
                diverged += 1
                break  # the rest of the episode follows from a different turn
            assert b.logprobs == pytest.approx(a.logprobs, abs=1e-4)
            assert a.n_prompt_tokens == b.n_prompt_tokens
        else:
            assert ref.messages == cand.messages and ref.metrics == cand.metrics
    return diverged


@pytest.fixture(scope="module")
def embedded_model(embedded):
    return embedded.model, embedded.tokenizer


def _policy(embedded_model, **options):
    from agent_gym.baselines.policies import TransformersPolicy

    model, tokenizer = embedded_model
    return TransformersPolicy(model, tokenizer=tokenizer, max_new_tokens=16, batch_size=16, **options)


@pytest.fixture(scope="module")
def padded_episodes(embedded_model):
    """``padded_episodes(concurrency, n, temperature)``: the reference episodes, played once per module."""
    played = {}

    def get(concurrency: int, n: int, temperature: float):
        if (concurrency, n, temperature) not in played:
            policy = _policy(embedded_model, kv_reuse=False, continuous_batching=False, temperature=temperature)
            assert policy._decoder is None
            played[concurrency, n, temperature] = _episodes(policy, concurrency, n)[0]
        return played[concurrency, n, temperature]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("concurrency,n", [(1, 2), (16, 16)])  # the reference of each is played once
@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.parametrize("reuse", [True, False])
def test_episodes_match_the_padded_full_prefill_path(embedded_model, padded_episodes, concurrency, n, temperature, reuse):
    reference = padded_episodes(concurrency, n, temperature)
    policy = _policy(embedded_model, kv_reuse=reuse, continuous_batching=True, temperature=temperature)
    assert policy.streaming
    candidate, _ = _episodes(policy, concurrency, n)
    diverged = _compare(reference, candidate, policy, greedy=temperature == 0)
    assert diverged <= len(reference) // 4 + 1  # near ties are rare; many would mean a real difference


def _prompt_of(policy, episode, step) -> list[int]:
    """The prompt ids a turn was generated from, rebuilt from the episode (opening, turns and env deltas)."""
    from agent_gym.rollout import build_trajectory

    trajectory = build_trajectory(episode, policy.chat_tokenizer())
    ids = list(trajectory.prompt_ids) + list(trajectory.completion_ids)
    return ids[: step.policy.n_prompt_tokens]


def test_a_continued_turn_feeds_only_the_new_tokens(random_lm_policy):
    policy = random_lm_policy(max_new_tokens=6)
    decoder = policy._decoder
    (first,) = policy.act([HISTORY], seeds=[0])
    fed = decoder.fed_tokens
    following = (*HISTORY, {"role": "assistant", "content": first.text}, {"role": "user", "content": "Why?"})
    (second,) = policy.act([following], seeds=[1])
    new_prompt_tokens = len(second.prompt_token_ids) - len(first.prompt_token_ids) - len(first.token_ids) + 1
    assert second.prompt_token_ids[: len(first.prompt_token_ids)] == first.prompt_token_ids
    # fed: the last generated token (never fed), the env's delta, then one token per generated token but the last
    assert decoder.fed_tokens - fed == new_prompt_tokens + len(second.token_ids) - 1


def test_reuse_gives_the_same_turn_as_a_fresh_prefill(random_lm_policy):
    reused, fresh = random_lm_policy(max_new_tokens=6), random_lm_policy(max_new_tokens=6, kv_reuse=False)
    for policy in (reused, fresh):
        (first,) = policy.act([HISTORY], seeds=[0])
        following = (*HISTORY, {"role": "assistant", "content": first.text}, {"role": "user", "content": "Why?"})
        policy.result = policy.act([following], seeds=[1])[0]
    assert reused.result.token_ids == fresh.result.token_ids
    assert reused.result.logprobs == pytest.approx(fresh.result.logprobs, abs=1e-4)


def test_a_cache_that_is_not_a_prefix_is_cut_back_to_the_common_part(random_lm_policy):
    decoder = random_lm_policy(max_new_tokens=4)._decoder
    generation, cache = decoder.generate([DecodeRequest((5, 6, 7, 8, 9), seed=0)])[0]
    assert cache.ids[:5] == [5, 6, 7, 8, 9]
    reused, _ = decoder.generate([DecodeRequest((5, 6, 70, 80), seed=0, cache=cache)])[0]
    fresh, _ = decoder.generate([DecodeRequest((5, 6, 70, 80), seed=0)])[0]
    assert reused.token_ids == fresh.token_ids
    assert reused.logprobs == pytest.approx(fresh.logprobs, abs=1e-5)


def test_logprobs_match_a_full_forward_for_a_lora_wrapped_model(random_lm_policy):
    """Training rollouts run a peft model with unmerged LoRA layers: the decoder must run them too."""
    from peft import LoraConfig, get_peft_model

    base = random_lm_policy()
    torch.manual_seed(1)
    model = get_peft_model(base.model, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "up_proj"], init_lora_weights=False))
    try:
        assert supports_packing(model)
        decoder = ContinuousDecoder(model, eos_ids=frozenset(), max_new_tokens=5)
        prompt = (1, 20, 300, 4000, 50)
        generation, _ = decoder.generate([DecodeRequest(prompt, seed=0)])[0]
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prompt + generation.token_ids])).logits[0].float()
        logp = torch.log_softmax(logits, -1)
        expected = [float(logp[len(prompt) - 1 + i, t]) for i, t in enumerate(generation.token_ids)]
        assert generation.token_ids == tuple(int(logp[len(prompt) - 1 + i].argmax()) for i in range(5))
        assert list(generation.logprobs) == pytest.approx(expected, abs=1e-5)
    finally:
        model.unload()  # give the shared fixture model back without LoRA layers


def test_caches_are_freed_at_the_episode_end_and_bounded(random_lm_policy):
    policy = random_lm_policy(max_new_tokens=4, kv_cache_tokens=200)
    histories = [({"role": "user", "content": f"question {i} " * 20},) for i in range(6)]
    turns = policy.act(histories, seeds=list(range(6)))
    kept = [t.cache for t in policy._prefixes.values() if t.cache is not None]
    assert sum(cache.capacity for cache in kept) <= 200 and len(kept) < 6  # the oldest were dropped
    for history, turn in zip(histories, turns, strict=True):
        policy.end_episode(new_episode_id(), (*history, {"role": "assistant", "content": turn.text}))
    assert not policy._prefixes


def test_a_failing_forward_fails_every_waiting_turn_and_the_decoder_recovers(random_lm_policy, monkeypatch):
    policy = random_lm_policy(max_new_tokens=4)
    decoder = policy._decoder
    real = decoder._forward
    monkeypatch.setattr(decoder, "_forward", lambda feeds: (_ for _ in ()).throw(RuntimeError("out of memory")))
    futures = [policy.submit(HISTORY, seed=s) for s in range(3)]
    for future in futures:
        with pytest.raises(RuntimeError, match="out of memory"):
            future.result(timeout=30)
    monkeypatch.setattr(decoder, "_forward", real)
    assert policy.act([HISTORY], seeds=[0])[0].token_ids  # a later turn starts a new loop


def test_models_it_cannot_run_fall_back_to_the_padded_path(random_lm_policy):
    from types import SimpleNamespace

    from agent_gym.baselines.policies import TransformersPolicy

    assert not supports_packing(SimpleNamespace(config=SimpleNamespace(model_type="gpt2")))
    policy = TransformersPolicy(SimpleNamespace(config=None), tokenizer=SimpleNamespace(pad_token_id=0))
    assert policy._decoder is None and not policy.streaming
    with pytest.raises(ConfigError, match="call act"):
        policy.submit(HISTORY)
    with pytest.raises(ConfigError):
        ContinuousDecoder(SimpleNamespace(config=None), eos_ids=frozenset(), max_new_tokens=1)
