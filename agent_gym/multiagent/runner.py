"""Run one multi-agent episode of a PettingZoo ``ParallelEnv`` with Policy objects, one per agent or shared.

Each round, the agents whose turn it is (``info[agent]["acting"]``, every live agent when an env does not
say) are asked for a turn; agents that share a policy and a tool list are asked in one batched
:meth:`~agent_gym.rollout.policy.Policy.act` call. Each agent's side of the episode is recorded as the
single-agent :class:`~agent_gym.types.Episode` record (its final history and one
:class:`~agent_gym.types.StepRecord` per round it was live), so everything that consumes episodes
(leaderboards, token-level trajectories) consumes each agent's side unchanged.

Each agent's side is assembled by the single-agent engine's
:class:`~agent_gym.rollout.episode.EpisodeState`, with its conventions (:mod:`agent_gym.rollout.episode`):
turns numbered from 1, the policy's side of a turn in ``StepRecord.policy`` (None on a round the agent was live
but not acting), a policy error stepped as an empty turn with the error recorded. Policies that are
:class:`~agent_gym.rollout.policy.EpisodeAware` hear ``start_episode`` / ``end_episode`` (with their own
agent's history and reset ``info``), as in the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pettingzoo import ParallelEnv
from pydantic import BaseModel, ConfigDict

from agent_gym.errors import ConfigError
from agent_gym.rollout.episode import EpisodeState, act, step_action, turn_seed
from agent_gym.rollout.policy import EpisodeAware, Policy, PolicyTurn
from agent_gym.types import ChatHistory, Episode

__all__ = ["TeamEpisode", "agent_turn_seed", "run_team_episode", "run_team_episodes"]


class TeamEpisode(BaseModel):
    """A whole multi-agent episode."""

    model_config = ConfigDict(frozen=True)

    env_id: str
    """Registered id (or PettingZoo name) of the env."""
    seed: int | None
    """Seed passed to ``reset``."""
    episodes: dict[str, Episode]
    """Each agent's side of the episode, by agent name."""
    rounds: int
    """Number of ``step`` calls."""
    metrics: dict[str, float] = {}
    """The team's outcome metrics (``info[agent]["team_metrics"]`` of the last round)."""

    @property
    def returns(self) -> dict[str, float]:
        """Total reward of each agent."""
        return {agent: episode.total_reward for agent, episode in self.episodes.items()}


def agent_turn_seed(seed: int, round_: int, agent_index: int) -> int:
    """The sampling seed of one agent's turn, from the episode seed, the round and the agent only.

    The first agent's seeds are the single-agent engine's (:func:`~agent_gym.rollout.episode.turn_seed`), so a
    searcher samples exactly as it would in the single-agent env; the others' are derived from them.

    Example:
        >>> from agent_gym.rollout.episode import turn_seed
        >>> agent_turn_seed(0, 1, 0) == turn_seed(0, 1) != agent_turn_seed(0, 1, 1)
        True
    """
    base = turn_seed(seed, round_)
    return base if agent_index == 0 else turn_seed(base, agent_index)


def run_team_episode(
    env: ParallelEnv,
    policies: Policy | Mapping[str, Policy],
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    env_id: str | None = None,
    max_rounds: int = 1000,
) -> TeamEpisode:
    """Play one episode to its end (or ``max_rounds``) and record it.

    Args:
        env: A PettingZoo ``ParallelEnv`` whose observations are histories or ``{"history": history}`` dicts.
        policies: One Policy for every agent, or ``{agent: Policy}`` covering every possible agent.
        seed: Passed to ``reset``; also seeds each turn's sampling (:func:`agent_turn_seed`).
        options: Passed to ``reset``.
        env_id: Recorded id (default: the env's PettingZoo name).
        max_rounds: Safety limit on ``step`` calls for envs without their own.

    Raises:
        ConfigError: ``policies`` misses an agent.
        PolicyError: a policy returned the wrong number of turns.
    """
    agents = list(env.possible_agents)
    per_agent = policies if isinstance(policies, Mapping) else dict.fromkeys(agents, policies)
    missing = [agent for agent in agents if agent not in per_agent]
    if missing:
        raise ConfigError(f"no policy for {missing}; pass one Policy for all agents or a dict covering {agents}")
    name = env_id or env.metadata.get("name", type(env).__name__)
    sides = {agent: EpisodeState(0, seed, name) for agent in agents}
    observations, infos = env.reset(seed=seed, options=options)
    for agent, side in sides.items():
        side.reset_info = dict(infos.get(agent, {}))
        side.history = _history(observations[agent]) if agent in observations else ()
        if isinstance(per_agent[agent], EpisodeAware):
            per_agent[agent].start_episode(side.episode_id, side.history, dict(side.reset_info))
    metrics: dict[str, float] = {}
    rounds = 0
    while env.agents and rounds < max_rounds:
        rounds += 1
        acting = [agent for agent in env.agents if infos.get(agent, {}).get("acting", True)]
        turns = _ask(env, per_agent, acting, sides)
        actions = {agent: step_action(turn) for agent, (turn, _) in turns.items()}
        observations, rewards, terminations, truncations, infos = env.step(actions)
        for agent, reward in rewards.items():
            side = sides[agent]
            history = _history(observations[agent]) if agent in observations else side.history
            info = infos.get(agent, {})
            turn, turn_seed_ = turns.get(agent, (None, None))
            result = (history, reward, terminations.get(agent, False), truncations.get(agent, False), info)
            side.record(actions.get(agent, ""), result, turn, turn_seed_)
            metrics = {k: float(v) for k, v in (info.get("team_metrics") or metrics).items()}
        for agent, obs in observations.items():
            if agent not in rewards:  # an observation without a step to record: the history still moves on
                sides[agent].history = _history(obs)
    for agent in agents:
        if isinstance(per_agent[agent], EpisodeAware):
            per_agent[agent].end_episode(sides[agent].episode_id, sides[agent].history)
    episodes = {agent: side.episode(metrics) for agent, side in sides.items()}
    return TeamEpisode(env_id=name, seed=seed, episodes=episodes, rounds=rounds, metrics=metrics)


def run_team_episodes(
    env: ParallelEnv, policies: Policy | Mapping[str, Policy], seeds: Sequence[int], **kwargs: Any
) -> list[TeamEpisode]:
    """One :func:`run_team_episode` per seed, in order, on the same env instance."""
    return [run_team_episode(env, policies, seed=seed, **kwargs) for seed in seeds]


def _history(observation: Any) -> ChatHistory:
    return tuple(observation["history"] if isinstance(observation, Mapping) else observation)


def _ask(
    env: ParallelEnv, policies: Mapping[str, Policy], acting: list[str], sides: Mapping[str, EpisodeState]
) -> dict[str, tuple[PolicyTurn, int | None]]:
    """A turn (and its seed) for each acting agent; agents sharing a policy and a tool list share one ``act`` call
    (:func:`~agent_gym.rollout.episode.act`: a policy error becomes an error turn for each of its agents)."""
    groups: dict[tuple[int, str], list[str]] = {}
    tools: dict[str, list[dict[str, Any]] | None] = {}
    for agent in acting:
        tools[agent] = env.tool_schemas(agent) if hasattr(env, "tool_schemas") else None
        groups.setdefault((id(policies[agent]), repr(tools[agent])), []).append(agent)
    turns: dict[str, tuple[PolicyTurn, int | None]] = {}
    for members in groups.values():
        seeds = None
        if sides[members[0]].seed is not None:
            seeds = [agent_turn_seed(sides[a].seed, sides[a].turn, env.possible_agents.index(a)) for a in members]
        histories = [sides[a].history for a in members]
        episodes = [sides[a].episode_id for a in members]
        got = act(policies[members[0]], histories, tools=tools[members[0]] or None, seeds=seeds, episodes=episodes)
        for k, (agent, turn) in enumerate(zip(members, got, strict=True)):
            turns[agent] = (turn, None if seeds is None else seeds[k])
    return turns
