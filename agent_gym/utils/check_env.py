"""check_env: verify that an env keeps the text-native contract of DESIGN §1.

Checked: the Gymnasium types of ``reset`` and ``step``; observations inside the observation space and
append-only (each one extends the previous); finite float rewards equal to the sum of
``info["reward_components"]``; JSON-serialisable infos; ``step`` never raising on adversarial actions
(malformed calls, unknown tools, huge and exotic strings, sampled free text); identical observations,
rewards and infos for the same seed and actions; an idempotent ``close``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym

from agent_gym.errors import EnvCheckError
from agent_gym.testing.actions import adversarial_actions, schema_calls

__all__ = ["check_env"]


def check_env(env: gym.Env, *, seed: int = 0, n_sampled_actions: int = 12, actions: Sequence[Any] | None = None) -> None:
    """Run every contract check on ``env``; raise :class:`EnvCheckError` at the first violation.

    Args:
        env: The env (wrapped or not). It is reset and stepped many times, then closed.
        seed: Base seed for ``reset`` and for sampling actions.
        n_sampled_actions: How many random free-text actions to add to the adversarial ones.
        actions: Extra actions to try (e.g. valid tool calls that reach deep states).
    """
    base = env.unwrapped
    _require(isinstance(base, gym.Env), f"expected a gymnasium.Env, got {type(base).__name__}")
    _require(isinstance(env.observation_space, gym.Space), "observation_space must be a gymnasium Space")
    _require(isinstance(env.action_space, gym.Space), "action_space must be a gymnasium Space")

    env.action_space.seed(seed)
    sampled = [env.action_space.sample() for _ in range(n_sampled_actions)]
    tools = tuple(getattr(base, "tools", {}) or ())
    valid = schema_calls(base) * 3  # repeated, so that noise draws and repeated-call penalties happen
    probe = list(actions or ()) + valid + adversarial_actions(tools) + sampled

    first = _play(env, probe, seed)
    second = _play(env, probe, seed)
    for k, (a, b) in enumerate(zip(first, second, strict=True)):
        _require(a == b, f"not deterministic: transition {k} differs between two runs with seed={seed} and the same actions")

    env.close()
    try:
        env.close()
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        raise EnvCheckError(f"close() must be idempotent; the second call raised {type(exc).__name__}: {exc}") from exc


def _play(env: gym.Env, actions: Sequence[Any], seed: int) -> list[str]:
    """Step through ``actions`` (resetting with seed, seed+1, ... as episodes end); return canonical transitions."""
    transcript: list[str] = []
    episode = 0
    obs, info = _checked_reset(env, seed)
    transcript.append(_canonical(obs, info))
    for k, action in enumerate(actions):
        try:
            result = env.step(action)
        except Exception as exc:  # noqa: BLE001 - any exception is the finding
            raise EnvCheckError(f"step raised {type(exc).__name__}: {exc} on action {k}: {_short(action)}") from exc
        _require(isinstance(result, tuple) and len(result) == 5, "step must return (obs, reward, terminated, truncated, info)")
        new_obs, reward, terminated, truncated, info = result
        _check_observation(env, new_obs)
        _require(
            len(new_obs) > len(obs) and new_obs[: len(obs)] == obs,
            f"observation after action {k} does not extend the previous one (append-only history)",
        )
        _require(isinstance(reward, float) and math.isfinite(reward), f"reward must be a finite float, got {reward!r}")
        _require(isinstance(terminated, bool) and isinstance(truncated, bool), "terminated and truncated must be bools")
        _check_info(info, f"step info after action {k}")
        components = info.get("reward_components")
        _require(isinstance(components, dict), "info['reward_components'] must report every reward component")
        _require(
            math.isclose(sum(components.values()), reward, rel_tol=1e-9, abs_tol=1e-9),
            f"reward {reward} != sum of components {components}",
        )
        transcript.append(_canonical(new_obs, reward, terminated, truncated, info))
        obs = new_obs
        if terminated or truncated:
            episode += 1
            obs, info = _checked_reset(env, seed + episode)
            transcript.append(_canonical(obs, info))
    return transcript


def _checked_reset(env: gym.Env, seed: int) -> tuple[Any, dict[str, Any]]:
    result = env.reset(seed=seed)
    _require(isinstance(result, tuple) and len(result) == 2, "reset must return (obs, info)")
    obs, info = result
    _check_observation(env, obs)
    _check_info(info, "reset info")
    return obs, info


def _check_observation(env: gym.Env, obs: Any) -> None:
    _require(
        isinstance(obs, tuple) and all(isinstance(m, dict) for m in obs),
        f"observation must be a tuple of message dicts, got {type(obs).__name__}",
    )
    _require(env.observation_space.contains(obs), "observation is not inside observation_space")
    try:
        json.dumps(obs, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EnvCheckError(f"observation is not JSON-serialisable: {exc}") from exc


def _check_info(info: Any, where: str) -> None:
    _require(isinstance(info, dict), f"{where} must be a dict")
    try:
        json.dumps(info, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EnvCheckError(f"{where} is not JSON-serialisable: {exc}") from exc


def _canonical(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, allow_nan=False)


def _short(action: Any) -> str:
    text = repr(action)
    return text if len(text) <= 120 else text[:117] + "..."


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise EnvCheckError(message)
