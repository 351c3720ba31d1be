"""One served env instance and what its client has already been sent.

A session turns ``reset``/``step``/``state`` messages into calls of its env and their results into wire
data (:mod:`agent_gym.serving.protocol`). Observations are append-only, so each one is sent as the messages
appended since the previous one. Methods are synchronous: the server runs them on its worker threads.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agent_gym.serving.protocol import EnvState, ObservationData, RemoteAction, RemoteObservation, ResetData

__all__ = ["EnvSession"]


class EnvSession:
    """An env behind one WebSocket (or one stateless HTTP request).

    Args:
        env: The env instance this session owns (closed by :meth:`close`).
        env_id: Its registered id (reported in the state).
        session_id: A name for the session (the default episode ids derive from it).
    """

    def __init__(self, env: gym.Env, env_id: str, session_id: str):
        self.env, self.env_id, self.session_id = env, env_id, session_id
        self._sent: list[dict[str, Any]] = []  # the history as the client has it
        self._episodes = 0
        self._episode_id: str | None = None
        self._steps = 0
        self._done = True

    def reset(self, data: ResetData) -> ObservationData:
        """``env.reset`` with the data's seed and options; the whole opening history."""
        obs, info = self.env.reset(seed=data.seed, options=data.options)
        self._episodes += 1
        self._episode_id = data.episode_id or f"{self.session_id}:{self._episodes}"
        self._steps, self._done, self._sent = 0, False, []
        return ObservationData(observation=self._delta(obs, info))

    def step(self, action: RemoteAction) -> ObservationData:
        """``env.step``; the messages it appended (raises ``ResetNeeded`` when the episode is over)."""
        obs, reward, terminated, truncated, info = self.env.step(action.to_action())
        self._steps += 1
        self._done = bool(terminated or truncated)
        observation = self._delta(obs, info, terminated=bool(terminated), truncated=bool(truncated))
        return ObservationData(observation=observation, reward=float(reward), done=self._done)

    def state(self) -> EnvState:
        """The episode id, step count and whole history."""
        return EnvState(
            episode_id=self._episode_id, step_count=self._steps, env_id=self.env_id, done=self._done, history=list(self._sent)
        )

    def close(self) -> None:
        """Close the env."""
        self.env.close()

    def _delta(self, obs: Any, info: dict[str, Any], **flags: bool) -> RemoteObservation:
        offset = len(self._sent)
        new = [dict(message) for message in obs[offset:]]
        self._sent.extend(new)
        return RemoteObservation(messages=new, offset=offset, info=info, **flags)
