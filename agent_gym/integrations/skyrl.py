"""agent-gym envs as SkyRL-gym 0.4 ``BaseTextEnv`` s.

:func:`register` registers ``agent-gym/<env id>`` in ``skyrl_gym``'s registry (the way SkyRL users register
envs); ``skyrl_gym.make("agent-gym/MultiHopQA-v0", extras={"seed": 3})`` then builds a :class:`AgentGymTextEnv`.
The dataset row's ``extras`` name the task (``seed``, or ``index`` with an optional ``split``); the row's
prompt text is never read: ``init`` returns our env's own opening messages.

Not mapped: SkyRL has one ``done`` flag (ours is ``terminated or truncated``; ``metadata`` keeps both).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agent_gym.errors import ConfigError

__all__ = ["AgentGymTextEnv", "register"]

try:  # skyrl_gym is an optional extra (`pip install agent-gym[skyrl]`)
    from skyrl_gym.envs.base_text_env import BaseTextEnv
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"agent_gym.integrations.skyrl needs skyrl-gym 0.4 ({error}); install it: pip install 'agent-gym[skyrl]'"
    ) from error


class AgentGymTextEnv(BaseTextEnv):
    """One agent-gym episode behind SkyRL's text-in/text-out ``init``/``step``.

    Args:
        env_id: The agent-gym env id (``MultiHopQA-v0``).
        env_config: SkyRL's per-env config; its items are passed to ``gym.make`` as env kwargs.
        extras: The dataset row's extras: ``seed`` (int) and/or ``index`` (int) and ``split`` (str).
    """

    def __init__(self, env_id: str, env_config: Any = None, extras: dict[str, Any] | None = None):
        super().__init__()
        kwargs = dict(env_config or {})
        extras = dict(extras or {})
        self._env = gym.make(env_id, **kwargs)
        self.seed = extras.get("seed")
        self.index = extras.get("index")
        self.split = extras.get("split")
        if self.seed is None and self.index is None:
            raise ConfigError(
                f"a SkyRL row for {env_id} names no task: expected extras with 'seed' or 'index', got {sorted(extras)}; "
                "add extra_info/extras {'seed': N} to each dataset row"
            )
        self._seen = 0
        self.max_turns = 10**9

    def init(self, prompt: Any = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Reset our env on the row's task; return its opening messages (``prompt`` is ignored) and reset info."""
        options: dict[str, Any] = {}
        if self.index is not None:
            options["index"] = int(self.index)
        if self.split is not None:
            options["split"] = str(self.split)
        history, info = self._env.reset(seed=None if self.seed is None else int(self.seed), options=options or None)
        self._seen = len(history)
        return [dict(m) for m in history], dict(info)

    def step(self, action: str) -> dict[str, Any]:
        """Play the model's text; return the env's new messages, the step reward and ``done``."""
        self.turns += 1
        history, reward, terminated, truncated, info = self._env.step(action)
        new = [dict(m) for m in history[self._seen + 1 :]]  # after the assistant message SkyRL already holds
        self._seen = len(history)
        metadata = {"terminated": bool(terminated), "truncated": bool(truncated), "info": dict(info)}
        return {"observations": new, "reward": float(reward), "done": bool(terminated or truncated), "metadata": metadata}

    def close(self) -> None:
        self._env.close()


def register(env_id: str = "MultiHopQA-v0", **env_kwargs: Any) -> str:
    """Register ``agent-gym/<env_id>`` with ``skyrl_gym``; returns the registered id."""
    import skyrl_gym

    skyrl_id = f"agent-gym/{env_id}"
    if skyrl_id not in skyrl_gym.registry:
        skyrl_gym.register(id=skyrl_id, entry_point=AgentGymTextEnv, kwargs={"env_id": env_id, **env_kwargs})
    return skyrl_id
