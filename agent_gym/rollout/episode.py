"""One episode in progress, and the per-turn conventions every episode runner shares.

The single-agent engine (:mod:`agent_gym.rollout.engine`), the team runner (:mod:`agent_gym.multiagent.runner`) and
Naive RAG all assemble their episodes here, so they agree on what a step records:

* :class:`EpisodeState` numbers the turns (``len(steps) + 1``), writes each :class:`~agent_gym.types.StepRecord`
  with the env's ``info`` as the env returned it and the policy's side of the turn in ``StepRecord.policy`` (a
  :class:`~agent_gym.types.PolicyRecord`: seed, generated ids, logprobs, prompt length, env delta, error), and
  builds the finished :class:`~agent_gym.types.Episode`;
* :func:`turn_seed` gives each turn its sampling seed;
* :func:`act` makes one batched policy call: a :class:`~agent_gym.errors.PolicyError` becomes an error turn
  (:func:`error_turn`), which is stepped as an empty turn (:func:`step_action`) and scored by the env as a format
  error, and the rollout goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym

from agent_gym.errors import PolicyError
from agent_gym.rollout.policy import EpisodeAware, EpisodeId, Policy, PolicyTurn, new_episode_id
from agent_gym.tools.formats import action_text
from agent_gym.types import ChatHistory, Episode, PolicyRecord, StepRecord

__all__ = ["EpisodeState", "act", "env_id_of", "error_turn", "step_action", "turn_seed"]

_MASK64 = 2**64 - 1


def turn_seed(episode_seed: int, turn: int) -> int:
    """The policy's sampling seed for one turn: a function of the episode seed and turn only.

    That is what makes a rollout independent of concurrency and batching: whichever batch a history lands in,
    it is sampled with the same seed. The two numbers are mixed with the SplitMix64 finaliser (a few integer
    operations: cheap enough to call on the engine's thread for every turn) into a 63-bit seed.

    Example:
        >>> turn_seed(0, 1) == turn_seed(0, 1) != turn_seed(0, 2)
        True
        >>> 0 <= turn_seed(-5, 3) < 2**63
        True
    """
    x = (int(episode_seed) * 0x9E3779B97F4A7C15 + int(turn) * 0xD1B54A32D192ED03) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) >> 1


def error_turn(exc: BaseException) -> PolicyTurn:
    """The turn recorded for a policy that raised instead of producing one."""
    return PolicyTurn(text="", error=f"{type(exc).__name__}: {exc}")


def step_action(turn: PolicyTurn) -> str | dict[str, Any]:
    """What ``env.step`` receives for a turn: its action, or an empty turn when the policy failed."""
    return "" if turn.error is not None else turn.action


def act(
    policy: Policy,
    histories: Sequence[ChatHistory],
    *,
    tools: Sequence[dict[str, Any]] | None,
    seeds: Sequence[int] | None,
    episodes: Sequence[EpisodeId] | None = None,
) -> list[PolicyTurn]:
    """One ``policy.act`` call; a :class:`~agent_gym.errors.PolicyError` becomes one error turn per history.

    ``episodes`` (the :data:`~agent_gym.rollout.policy.EpisodeId` of each history) is passed on to an
    :class:`~agent_gym.rollout.policy.EpisodeAware` policy only.

    Raises:
        PolicyError: the policy returned a different number of turns than histories (a bug, not a bad turn).
    """
    try:
        if episodes is not None and isinstance(policy, EpisodeAware):
            turns = list(policy.act(histories, tools=tools, seeds=seeds, episodes=episodes))
        else:
            turns = list(policy.act(histories, tools=tools, seeds=seeds))
    except PolicyError as exc:
        turns = [error_turn(exc) for _ in histories]
    if len(turns) != len(histories):
        raise PolicyError(f"{type(policy).__name__}.act returned {len(turns)} turns for {len(histories)} histories")
    return turns


def env_id_of(env: gym.Env) -> str:
    """The id an episode of ``env`` is recorded under: its registered id, else its class name."""
    spec = getattr(env, "spec", None)
    return spec.id if spec is not None else type(env.unwrapped).__name__


def _policy_record(turn: PolicyTurn, seed: int | None) -> PolicyRecord:
    delta = turn.env_delta
    return PolicyRecord(
        seed=seed,
        token_ids=turn.token_ids,
        logprobs=None if turn.logprobs is None else tuple(float(x) for x in turn.logprobs),
        n_prompt_tokens=None if turn.prompt_token_ids is None else len(turn.prompt_token_ids),
        env_delta_ids=None if delta is None else delta.ids,
        env_delta_exact=None if delta is None else delta.exact,
        error=turn.error,
    )


class EpisodeState:
    """The mutable bookkeeping of one running episode (one per env slot, or per agent of a team episode).

    Args:
        index: Position of the episode in the rollout (its records are returned in this order).
        seed: Seed passed to ``env.reset``; the policy's turn seeds derive from it.
        env_id: Id recorded in the Episode.
    """

    def __init__(self, index: int, seed: int | None, env_id: str):
        self.episode_id: EpisodeId = new_episode_id()
        """The episode's identity for :class:`~agent_gym.rollout.policy.EpisodeAware` policies."""
        self.index = index
        self.seed = seed
        self.env_id = env_id
        self.history: ChatHistory = ()
        self.reset_info: dict[str, Any] = {}
        self.steps: list[StepRecord] = []
        self.done = False

    @property
    def turn(self) -> int:
        """1-based index of the next turn."""
        return len(self.steps) + 1

    def next_seed(self) -> int:
        """The next turn's sampling seed (:func:`turn_seed`)."""
        assert self.seed is not None, "an episode reset without a seed has no turn seeds"
        return turn_seed(self.seed, self.turn)

    def record(
        self,
        action: str | dict[str, Any],
        result: tuple[ChatHistory, float, bool, bool, Mapping[str, Any]],
        turn: PolicyTurn | None = None,
        seed: int | None = None,
    ) -> None:
        """Append the outcome of ``env.step(action)``; ``turn`` is the policy's turn it came from (with its seed).

        ``result`` is the step's ``(history, reward, terminated, truncated, info)``; its history becomes the
        episode's.
        """
        history, reward, terminated, truncated, info = result
        self.steps.append(
            StepRecord(
                turn=self.turn,
                action=action_text(action),
                reward=float(reward),
                reward_components=dict(info.get("reward_components", {})),
                terminated=bool(terminated),
                truncated=bool(truncated),
                info=dict(info),
                policy=None if turn is None else _policy_record(turn, seed),
            )
        )
        self.history = tuple(history)
        self.done = bool(terminated or truncated)

    def episode(self, metrics: Mapping[str, float] | None = None) -> Episode:
        """The finished record; its outcome ``metrics`` are the last step's ``info["metrics"]`` unless given."""
        if metrics is None:
            metrics = (self.steps[-1].info.get("metrics") if self.steps else None) or {}
        return Episode(
            env_id=self.env_id,
            seed=self.seed,
            task_id=str(self.reset_info.get("task_id", "")),
            messages=self.history,
            steps=tuple(self.steps),
            reset_info=self.reset_info,
            metrics={k: float(v) for k, v in metrics.items()},
        )
