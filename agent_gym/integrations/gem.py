"""agent-gym envs as GEM 0.1 ``gem.Env`` s.

:func:`register` registers ``agent-gym/<env id>`` with ``gem.register``; ``gem.make("agent-gym/MultiHopQA-v0",
seed=3)`` and ``gem.make_vec(["agent-gym/MultiHopQA-v0"] * 4, seed=3)`` (env ``i`` gets ``seed + i``, as
``make_vec`` passes it to the constructor) then build :class:`AgentGymGemEnv` s. A task is named by ``seed``,
or ``index`` with an optional ``split``; never by prompt text.

GEM's observations are strings: ``reset`` returns the opening's last message, ``step`` the env's new messages'
contents joined by blank lines; ``info["messages"]`` always holds the full history (system prompt included), which
is what a chat-template trainer should render. Not mapped: GEM's ``spawn(same_state=True)`` (an episode cannot be
cloned mid-way; ``spawn()`` without it builds a fresh env on the same config).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

__all__ = ["AgentGymGemEnv", "register"]

try:  # gem is an optional extra (`pip install agent-gym[gem]`)
    import gem
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"agent_gym.integrations.gem needs gem-llm 0.1 ({error}); install it: pip install 'agent-gym[gem]'"
    ) from error

from agent_gym.errors import ConfigError


class AgentGymGemEnv(gem.Env):
    """One agent-gym env behind GEM's string ``reset``/``step``.

    Args:
        agent_gym_id: The agent-gym env id (``MultiHopQA-v0``; not ``env_id``, which GEM's ``register`` takes).
        seed: The first reset's seed (``make_vec`` passes ``seed + i``); later resets without a seed continue
            the env's own seeded stream.
        index: A task index instead of a seed (with ``split``).
        split: The split of ``index``.
        env_kwargs: Passed to ``gym.make``.
    """

    def __init__(
        self,
        agent_gym_id: str,
        seed: int | None = None,
        index: int | None = None,
        split: str | None = None,
        **env_kwargs: Any,
    ):
        super().__init__()
        self._config = {"agent_gym_id": agent_gym_id, "seed": seed, "index": index, "split": split, **env_kwargs}
        self._env = gym.make(agent_gym_id, **env_kwargs)
        self._seed, self._index, self._split = seed, index, split
        self._history: tuple[dict[str, Any], ...] = ()

    def reset(self, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        if seed is None:
            seed, self._seed = self._seed, None  # the constructor's seed serves the first reset only
        options: dict[str, Any] = {}
        if self._index is not None:
            options["index"] = int(self._index)
        if self._split is not None:
            options["split"] = str(self._split)
        if seed is None and not options and not self._history:
            raise ConfigError(
                f"{self._config['agent_gym_id']} was reset with no task: expected a seed (gem.make(..., seed=N), "
                "make_vec(..., seed=N) or reset(seed=N)) or an index"
            )
        history, info = self._env.reset(seed=None if seed is None else int(seed), options=options or None)
        self._history = tuple(history)
        return str(history[-1]["content"]), {**info, "messages": [dict(m) for m in history]}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        seen = len(self._history)
        history, reward, terminated, truncated, info = self._env.step(action)
        self._history = tuple(history)
        new = [str(m.get("content") or "") for m in history[seen + 1 :]]
        info = {**info, "messages": [dict(m) for m in history]}
        return "\n\n".join(new), float(reward), bool(terminated), bool(truncated), info

    def spawn(self, same_state: bool = False, **kwargs: Any) -> AgentGymGemEnv:
        if same_state:
            raise ConfigError("AgentGymGemEnv.spawn(same_state=True) is not supported: an episode cannot be cloned")
        return AgentGymGemEnv(**{**self._config, **kwargs})


def register(env_id: str = "MultiHopQA-v0", **env_kwargs: Any) -> str:
    """Register ``agent-gym/<env_id>`` with ``gem``; returns the registered id."""
    from gem.envs.registration import ENV_REGISTRY

    gem_id = f"agent-gym/{env_id}"
    if gem_id not in ENV_REGISTRY:
        gem.register(gem_id, entry_point=AgentGymGemEnv, agent_gym_id=env_id, **env_kwargs)
    return gem_id
