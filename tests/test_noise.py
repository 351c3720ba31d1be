"""The noise model: seeded, effects reported, off means untouched."""

import numpy as np
import pytest

from agent_gym.errors import ConfigError
from agent_gym.noise import NOISE_PRESETS, NoiseModel
from agent_gym.types import ResultItem, ToolOutput

OUTPUT = ToolOutput(content="c" * 200, items=tuple(ResultItem(text=f"{i}" * 200, meta={"i": i}) for i in range(8)))


def test_off_touches_nothing_and_draws_nothing():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert NoiseModel().apply(OUTPUT, rng).output == OUTPUT
    assert rng.bit_generator.state == state


def test_same_generator_state_same_noise():
    noise = NOISE_PRESETS["heavy"]
    a = [noise.apply(OUTPUT, rng) for rng in [np.random.default_rng(5)] * 5]
    b = [noise.apply(OUTPUT, rng) for rng in [np.random.default_rng(5)] * 5]
    assert a == b
    assert len({o.effects for o in a}) > 1


def test_each_effect():
    rng = np.random.default_rng(0)
    assert NoiseModel(failure_prob=1.0).apply(OUTPUT, rng).failure.kind == "unavailable"
    assert NoiseModel(drop_prob=1.0).apply(OUTPUT, rng).output.items == ()
    shuffled = NoiseModel(shuffle_prob=1.0).apply(OUTPUT, rng)
    assert sorted(i.meta["i"] for i in shuffled.output.items) == list(range(8)) and "shuffled" in shuffled.effects
    cut = NoiseModel(truncate_prob=1.0, truncate_to=10).apply(OUTPUT, rng).output
    assert cut.content == "c" * 10 + "…" and all(len(i.text) == 11 for i in cut.items)
    assert cut.items[0].meta == {"i": 0}


def test_latency_has_the_requested_mean():
    rng = np.random.default_rng(0)
    noise = NoiseModel(latency_mean_s=0.2, latency_sigma=0.5)
    mean = np.mean([noise.apply(OUTPUT, rng).latency_s for _ in range(4000)])
    assert mean == pytest.approx(0.2, rel=0.05)


def test_resolve_and_validation():
    assert NoiseModel.resolve(None) == NoiseModel() and not NoiseModel.resolve("off").enabled
    assert NoiseModel.resolve({"drop_prob": 0.5}).drop_prob == 0.5
    with pytest.raises(ConfigError, match="Did you mean 'light'"):
        NoiseModel.resolve("lite")
    with pytest.raises(ValueError):
        NoiseModel(drop_prob=2.0)
