"""check_env: one check per property of the text-native env contract (DESIGN §1), like Gymnasium's checker.

Each property is checked on its own and a violation names it (``EnvCheckError: [reset_options] ...``):

- ``spaces``: a ``gymnasium.Env`` whose observation and action spaces are Gymnasium spaces.
- ``reset``: ``reset(seed=...)`` returns ``(observation, info)``; the observation is inside the observation
  space and JSON-serialisable, the info a JSON-serialisable dict.
- ``reset_seed_determinism``: ``reset(seed=s)`` twice gives the same observation and info.
- ``reset_options``: ``reset(options={"index": i})`` selects task ``i``, the contract training and the
  leaderboard rely on: the same index gives the same task under any seed, and different indices do not all
  give one task (unless ``env.unwrapped.num_tasks`` is 1). Until ``INDEX_RULE_DEADLINE`` an env that does not
  declare ``num_tasks`` (it neither defines it nor overrides ``ToolEnv.num_tasks``) gets a ``FutureWarning`` for
  a broken index rule instead of the error: the rule is newer than the tutorial such envs were written from.
- ``step_contract``: on adversarial actions (malformed calls, unknown tools, huge and exotic strings, message
  dicts), a valid call of each tool and actions sampled from the action space, ``step`` never raises, returns the
  5-tuple, extends the previous observation (append-only history), and reports a finite float reward equal to
  the sum of ``info["reward_components"]`` and a JSON-serialisable info.
- ``action_space``: every one of those actions, all of which ``step`` must accept, is inside the action space.
- ``step_determinism``: the same seed and actions give identical observations, rewards and infos.
- ``close``: ``close()`` can be called twice.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from agent_gym.errors import EnvCheckError
from agent_gym.testing.actions import adversarial_actions, schema_calls

__all__ = ["PROPERTIES", "check_env"]


@dataclass(frozen=True)
class _Probe:
    env: gym.Env
    seed: int
    actions: tuple[Any, ...]
    """What ``step`` is tried on: the caller's actions, a valid call of each tool, adversarial and sampled ones."""


def check_env(env: gym.Env, *, seed: int = 0, n_sampled_actions: int = 12, actions: Sequence[Any] | None = None) -> None:
    """Check every property of :data:`PROPERTIES` on ``env``; raise :class:`EnvCheckError` at the first violation.

    Args:
        env: The env (wrapped or not). It is reset and stepped many times, then closed.
        seed: Base seed for ``reset`` and for sampling actions.
        n_sampled_actions: How many actions to sample from the action space, besides the adversarial ones.
        actions: Extra actions to try (e.g. valid tool calls that reach deep states).
    """
    _check_spaces(env, None)
    env.action_space.seed(seed)
    base = env.unwrapped
    sampled = [env.action_space.sample() for _ in range(n_sampled_actions)]
    tools = tuple(getattr(base, "tools", {}) or ())
    valid = schema_calls(base) * 3  # repeated, so that noise draws and repeated-call penalties happen
    probe = _Probe(env, seed, (*(actions or ()), *valid, *adversarial_actions(tools), *sampled))
    for _, check in PROPERTIES[1:]:
        check(env, probe)


def _check_spaces(env: gym.Env, probe: _Probe | None) -> None:
    _require("spaces", isinstance(env.unwrapped, gym.Env), f"expected a gymnasium.Env, got {type(env.unwrapped).__name__}")
    _require("spaces", isinstance(env.observation_space, gym.Space), "observation_space must be a gymnasium Space")
    _require("spaces", isinstance(env.action_space, gym.Space), "action_space must be a gymnasium Space")


def _check_reset(env: gym.Env, probe: _Probe) -> None:
    _reset(env, probe.seed)


def _check_reset_seed_determinism(env: gym.Env, probe: _Probe) -> None:
    first, second = (_canonical(*_reset(env, probe.seed)) for _ in range(2))
    _require(
        "reset_seed_determinism",
        first == second,
        f"reset(seed={probe.seed}) twice gave different observations or infos; draw all randomness from self.np_random",
    )


INDEX_RULE_DEADLINE = "2027-03-01"
"""From this date (the 0.3 release) an env that breaks the index rule fails ``reset_options`` whether or not it
declares ``num_tasks``; see CHANGELOG.md."""


def _declares_num_tasks(env: gym.Env) -> bool:
    from agent_gym.tools.env import ToolEnv

    attr = getattr(type(env.unwrapped), "num_tasks", None)
    return attr is not None and attr is not ToolEnv.__dict__["num_tasks"]


def _check_reset_options(env: gym.Env, probe: _Probe) -> None:
    try:
        _check_index_rule(env, probe)
    except EnvCheckError as exc:
        if _declares_num_tasks(env):
            raise
        warnings.warn(
            f"{exc} -- this env does not declare num_tasks, so this is a warning until {INDEX_RULE_DEADLINE} and an "
            "error after it (see CHANGELOG.md): read options['index'] in sample_task and define num_tasks",
            FutureWarning,
            stacklevel=2,
        )


def _check_index_rule(env: gym.Env, probe: _Probe) -> None:
    num_tasks = getattr(env.unwrapped, "num_tasks", None)
    indices = range(3 if num_tasks is None else min(int(num_tasks), 3))
    tasks = []
    for index in indices:
        options = {"index": index}
        here, there = (_canonical(*_reset(env, seed, options)) for seed in (probe.seed, probe.seed + 1))
        _require(
            "reset_options",
            here == there,
            f"reset(options={options}) gave different tasks under seed={probe.seed} and seed={probe.seed + 1}: task i "
            "must depend on the index alone (training and the leaderboard select tasks with options={'index': i})",
        )
        tasks.append(here)
    _require(
        "reset_options",
        len(set(tasks)) > 1 or len(tasks) < 2,
        f"reset(options={{'index': i}}) gave one task for every i in {list(indices)}: the index is ignored. Select task "
        "i from it (or report num_tasks = 1)",
    )


def _check_step_contract(env: gym.Env, probe: _Probe) -> None:
    _play(env, probe.actions, probe.seed)


def _check_action_space(env: gym.Env, probe: _Probe) -> None:
    for k, action in enumerate(probe.actions):
        _require(
            "action_space",
            env.action_space.contains(action),
            f"{env.action_space!r} does not contain action {k}, which step accepts: {_short(action)}",
        )


def _check_step_determinism(env: gym.Env, probe: _Probe) -> None:
    first, second = (_play(env, probe.actions, probe.seed) for _ in range(2))
    for k, (a, b) in enumerate(zip(first, second, strict=True)):
        _require(
            "step_determinism",
            a == b,
            f"transition {k} differs between two runs with seed={probe.seed} and the same actions; "
            "draw all randomness from self.np_random",
        )


def _check_close(env: gym.Env, probe: _Probe) -> None:
    env.close()
    try:
        env.close()
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        raise EnvCheckError(f"[close] close() must be idempotent; the second call raised {type(exc).__name__}: {exc}") from exc


PROPERTIES: tuple[tuple[str, Callable[[gym.Env, Any], None]], ...] = (
    ("spaces", _check_spaces),
    ("reset", _check_reset),
    ("reset_seed_determinism", _check_reset_seed_determinism),
    ("reset_options", _check_reset_options),
    ("step_contract", _check_step_contract),
    ("action_space", _check_action_space),
    ("step_determinism", _check_step_determinism),
    ("close", _check_close),
)
"""Every property :func:`check_env` checks, in order, by the name its errors carry (see the module docstring)."""


def _play(env: gym.Env, actions: Sequence[Any], seed: int) -> list[str]:
    """Step through ``actions`` (resetting with seed, seed+1, ... as episodes end); return canonical transitions."""
    transcript: list[str] = []
    episode = 0
    obs, info = _reset(env, seed)
    transcript.append(_canonical(obs, info))
    for k, action in enumerate(actions):
        try:
            result = env.step(action)
        except Exception as exc:  # noqa: BLE001 - any exception is the finding
            raise EnvCheckError(
                f"[step_contract] step raised {type(exc).__name__}: {exc} on action {k}: {_short(action)}"
            ) from exc
        _require(
            "step_contract",
            isinstance(result, tuple) and len(result) == 5,
            "step must return (obs, reward, terminated, truncated, info)",
        )
        new_obs, reward, terminated, truncated, info = result
        _check_observation(env, new_obs, "step_contract")
        _require(
            "step_contract",
            len(new_obs) > len(obs) and new_obs[: len(obs)] == obs,
            f"observation after action {k} does not extend the previous one (append-only history)",
        )
        _require(
            "step_contract", isinstance(reward, float) and math.isfinite(reward), f"reward must be a finite float, got {reward!r}"
        )
        _require(
            "step_contract",
            isinstance(terminated, bool) and isinstance(truncated, bool),
            "terminated and truncated must be bools",
        )
        _check_info(info, f"step info after action {k}", "step_contract")
        components = info.get("reward_components")
        _require("step_contract", isinstance(components, dict), "info['reward_components'] must report every reward component")
        _require(
            "step_contract",
            math.isclose(sum(components.values()), reward, rel_tol=1e-9, abs_tol=1e-9),
            f"reward {reward} != sum of components {components}",
        )
        transcript.append(_canonical(new_obs, reward, terminated, truncated, info))
        obs = new_obs
        if terminated or truncated:
            episode += 1
            obs, info = _reset(env, seed + episode)
            transcript.append(_canonical(obs, info))
    return transcript


def _reset(env: gym.Env, seed: int, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    name = "reset" if options is None else "reset_options"
    try:
        result = env.reset(seed=seed, options=options)
    except Exception as exc:  # noqa: BLE001 - any exception is the finding
        raise EnvCheckError(f"[{name}] reset(seed={seed}, options={options}) raised {type(exc).__name__}: {exc}") from exc
    _require(name, isinstance(result, tuple) and len(result) == 2, "reset must return (obs, info)")
    obs, info = result
    _check_observation(env, obs, name)
    _check_info(info, "reset info", name)
    return obs, info


def _check_observation(env: gym.Env, obs: Any, name: str) -> None:
    _require(
        name,
        isinstance(obs, tuple) and all(isinstance(m, dict) for m in obs),
        f"observation must be a tuple of message dicts, got {type(obs).__name__}",
    )
    _require(name, env.observation_space.contains(obs), "observation is not inside observation_space")
    try:
        json.dumps(obs, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EnvCheckError(f"[{name}] observation is not JSON-serialisable: {exc}") from exc


def _check_info(info: Any, where: str, name: str) -> None:
    _require(name, isinstance(info, dict), f"{where} must be a dict")
    try:
        json.dumps(info, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EnvCheckError(f"[{name}] {where} is not JSON-serialisable: {exc}") from exc


def _canonical(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, allow_nan=False)


def _short(action: Any) -> str:
    text = repr(action)
    return text if len(text) <= 120 else text[:117] + "..."


def _require(name: str, condition: bool, message: str) -> None:
    if not condition:
        raise EnvCheckError(f"[{name}] {message}")
