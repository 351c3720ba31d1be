"""Seeded stochastic transitions between a Tool and its ToolEnv.

The extended MDP's transitions are stochastic because tools answer unreliably. A :class:`NoiseModel`
perturbs a tool's raw output (failures, dropped, shuffled or truncated results, latency) using only the
generator it is handed, which is always the env's ``np_random``: same seed and same actions give the same
noise.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.types import ResultItem, ToolFailure, ToolOutput

__all__ = ["NOISE_PRESETS", "NoiseModel", "NoiseOutcome"]


class NoiseOutcome(BaseModel):
    """A noised tool outcome."""

    model_config = ConfigDict(frozen=True)

    output: ToolOutput | None
    """The perturbed output, or None when a failure was injected."""
    failure: ToolFailure | None = None
    """The injected failure, if any."""
    latency_s: float = 0.0
    """Sampled latency in seconds."""
    effects: tuple[str, ...] = ()
    """What was done, e.g. ``("dropped:2", "shuffled")``."""


class NoiseModel(BaseModel):
    """Probabilities and sizes of each perturbation; all zero (the default) is a noiseless tool.

    Example:
        >>> import numpy as np
        >>> from agent_gym.types import ResultItem, ToolOutput
        >>> noise = NoiseModel(drop_prob=0.5)
        >>> out = ToolOutput(items=tuple(ResultItem(text=str(i)) for i in range(6)))
        >>> a = noise.apply(out, np.random.default_rng(0))
        >>> b = noise.apply(out, np.random.default_rng(0))
        >>> a == b and len(a.output.items) < 6
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_prob: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that the call fails as ``unavailable``."""
    drop_prob: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that each result item is dropped."""
    shuffle_prob: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that the result items are returned in a random order."""
    truncate_prob: float = Field(0.0, ge=0.0, le=1.0)
    """Probability that each item (or the free-text content) is cut."""
    truncate_to: int = Field(80, ge=0)
    """Characters kept by a truncation."""
    latency_mean_s: float = Field(0.0, ge=0.0)
    """Mean simulated latency (seconds); 0 disables latency."""
    latency_sigma: float = Field(0.0, ge=0.0)
    """Log-normal spread of the latency (0 = constant)."""
    sleep: bool = False
    """Really sleep for the latency (rollout benchmarks); otherwise it is only reported."""

    @classmethod
    def preset(cls, name: str) -> NoiseModel:
        """``off``, ``light`` or ``heavy``."""
        if name not in NOISE_PRESETS:
            hint = did_you_mean(name, NOISE_PRESETS)
            raise ConfigError(f"unknown noise preset {name!r}; expected one of {sorted(NOISE_PRESETS)}.{hint}")
        return NOISE_PRESETS[name]

    @classmethod
    def resolve(cls, spec: str | NoiseModel | dict | None) -> NoiseModel:
        """A NoiseModel from a preset name, a dict of fields, None (off), or as given."""
        if spec is None:
            return NOISE_PRESETS["off"]
        if isinstance(spec, NoiseModel):
            return spec
        if isinstance(spec, str):
            return cls.preset(spec)
        return cls.model_validate(spec)

    @property
    def enabled(self) -> bool:
        return self != NOISE_PRESETS["off"]

    def apply(self, output: ToolOutput, rng: np.random.Generator) -> NoiseOutcome:
        """Perturb one tool output, drawing only from ``rng``."""
        if not self.enabled:
            return NoiseOutcome(output=output)
        latency = self._latency(rng)
        if self.failure_prob and rng.random() < self.failure_prob:
            failure = ToolFailure(kind="unavailable", message="the tool did not answer (transient failure); try again")
            return NoiseOutcome(output=None, failure=failure, latency_s=latency, effects=("failed",))
        effects: list[str] = []
        items = list(output.items)
        if self.drop_prob and items:
            keep = rng.random(len(items)) >= self.drop_prob
            if not keep.all():
                effects.append(f"dropped:{int((~keep).sum())}")
                items = [item for item, kept in zip(items, keep, strict=True) if kept]
        if self.shuffle_prob and len(items) > 1 and rng.random() < self.shuffle_prob:
            items = [items[i] for i in rng.permutation(len(items))]
            effects.append("shuffled")
        content = output.content
        if self.truncate_prob:
            cut = rng.random(len(items) + 1) < self.truncate_prob
            if cut[0] and len(content) > self.truncate_to:
                content = content[: self.truncate_to] + "…"
                effects.append("truncated:content")
            cut_items = [i for i, item in enumerate(items) if cut[i + 1] and len(item.text) > self.truncate_to]
            for i in cut_items:
                items[i] = ResultItem(text=items[i].text[: self.truncate_to] + "…", meta=items[i].meta)
            if cut_items:
                effects.append(f"truncated:{len(cut_items)}")
        return NoiseOutcome(output=ToolOutput(content=content, items=tuple(items)), latency_s=latency, effects=tuple(effects))

    def _latency(self, rng: np.random.Generator) -> float:
        if not self.latency_mean_s:
            return 0.0
        latency = self.latency_mean_s
        if self.latency_sigma:
            # log-normal with the requested mean: mu = log(mean) - sigma^2 / 2
            latency = float(rng.lognormal(np.log(self.latency_mean_s) - self.latency_sigma**2 / 2, self.latency_sigma))
        if self.sleep:
            time.sleep(latency)
        return round(latency, 6)


NOISE_PRESETS: dict[str, NoiseModel] = {
    "off": NoiseModel(),
    "light": NoiseModel(failure_prob=0.05, drop_prob=0.1, shuffle_prob=0.2, truncate_prob=0.05),
    "heavy": NoiseModel(
        failure_prob=0.2, drop_prob=0.3, shuffle_prob=0.5, truncate_prob=0.2, latency_mean_s=0.5, latency_sigma=0.5
    ),
}
