"""Rubric: a weighted sum of named reward components, with presets."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent_gym.errors import ConfigError, RewardError, did_you_mean
from agent_gym.rewards.components import COMPONENTS, Component, StepOutcome

__all__ = ["PRESETS", "Rubric"]

PRESETS: dict[str, dict[str, float]] = {
    # Agent-R1's reward: the final answer's score, or format score - 1 if any turn was malformed.
    "outcome": {"outcome": 1.0},
    # Outcome plus per-step process components (Agent-R1's process rewards); envs add their own signals.
    "process": {
        "outcome": 1.0,
        "format_error": 0.1,
        "invalid_call": 0.1,
        "tool_error": 0.05,
        "repeated_call": 0.05,
        "turn_cost": 0.01,
        "overlong": 0.1,
    },
}


@dataclass(frozen=True)
class Rubric:
    """Weighted reward components. ``score`` returns each component's weighted value; their sum is the reward.

    Example:
        >>> from agent_gym.types import ParsedTurn
        >>> rubric = Rubric.preset("process")
        >>> parts = rubric.score(StepOutcome(turn=1, parsed=ParsedTurn(answer="x"), done=True, answer_score=1.0))
        >>> parts["outcome"], parts["turn_cost"]
        (1.0, -0.01)
    """

    weights: Mapping[str, float]
    """Weight of each component, by name."""
    components: Mapping[str, Component] = field(default_factory=dict)
    """Extra components by name (built-ins from COMPONENTS need not be listed)."""

    def __post_init__(self) -> None:
        known = {**COMPONENTS, **self.components}
        for name, weight in self.weights.items():
            if name not in known:
                hint = did_you_mean(name, known)
                raise ConfigError(
                    f"unknown reward component {name!r}; known: {sorted(known)}.{hint} Env-specific components "
                    "(e.g. MultiHopQA's retrieval_hit) are not built in: pass them in components= "
                    "(agent_gym.rewards.signal('retrieval_hit')), or use the env's own rubric: env.unwrapped.rubric"
                )
            if not math.isfinite(weight):
                raise ConfigError(f"weight of {name!r} must be finite, got {weight}")
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "components", {name: known[name] for name in self.weights})

    @classmethod
    def preset(
        cls,
        name: str,
        extra: Mapping[str, tuple[Component, float]] | None = None,
        overrides: Mapping[str, float] | None = None,
    ) -> Rubric:
        """A preset (``outcome`` or ``process``), plus env-specific ``extra`` components and weight ``overrides``.

        ``extra`` components are only added to the ``process`` preset: ``outcome`` stays the paper's pure outcome.
        """
        if name not in PRESETS:
            hint = did_you_mean(name, PRESETS)
            raise ConfigError(f"unknown reward preset {name!r}; expected one of {sorted(PRESETS)}.{hint}")
        weights = dict(PRESETS[name])
        components: dict[str, Component] = {}
        if name != "outcome":
            for component_name, (fn, weight) in (extra or {}).items():
                weights[component_name], components[component_name] = weight, fn
        weights.update(overrides or {})
        return cls(weights=weights, components=components)

    @classmethod
    def resolve(
        cls, spec: str | Rubric | Mapping[str, float], extra: Mapping[str, tuple[Component, float]] | None = None
    ) -> Rubric:
        """A Rubric from a preset name, a Rubric, or a ``{component: weight}`` mapping."""
        if isinstance(spec, Rubric):
            return spec
        if isinstance(spec, str):
            return cls.preset(spec, extra=extra)
        return cls(weights=dict(spec), components={k: fn for k, (fn, _) in (extra or {}).items() if k in spec})

    def score(self, step: StepOutcome) -> dict[str, float]:
        """Each component's weighted value for this step.

        Raises:
            RewardError: a component returned a non-finite value.
        """
        parts: dict[str, float] = {}
        for name, weight in self.weights.items():
            value = float(self.components[name](step))
            if not math.isfinite(value):
                raise RewardError(
                    f"reward component {name!r} returned {value} at turn {step.turn}; components must return finite floats"
                )
            parts[name] = weight * value
        return parts

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def describe(self) -> dict[str, float]:
        """The weights, for logs and env cards."""
        return dict(self.weights)


ComponentFactory = Callable[[str], Component]
