"""One episode in progress: its seeds, its history and the records the rollout engine writes.

What a policy did on a turn is kept in the step's ``info["policy"]`` (a JSON dict), so that an episode read back
from JSONL still carries everything a trainer needs:

* ``seed``: the sampling seed the policy got for this turn (:func:`turn_seed`);
* ``token_ids`` / ``logprobs``: the generated ids and their log-probabilities (token-aware policies), else None;
* ``n_prompt_tokens``: length of the prompt the turn was generated from (after truncation), else None;
* ``error``: why the policy produced no turn (the env then received an empty turn), else None.
"""

from __future__ import annotations

from typing import Any

from agent_gym.rollout.policy import PolicyTurn
from agent_gym.tools.formats import action_text
from agent_gym.types import Episode, StepRecord

__all__ = ["EpisodeState", "policy_record", "turn_seed"]

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


def policy_record(turn: PolicyTurn, seed: int) -> dict[str, Any]:
    """The JSON dict stored in ``info["policy"]`` for one turn."""
    return {
        "seed": seed,
        "token_ids": list(turn.token_ids) if turn.token_ids is not None else None,
        "logprobs": [float(x) for x in turn.logprobs] if turn.logprobs is not None else None,
        "n_prompt_tokens": len(turn.prompt_token_ids) if turn.prompt_token_ids is not None else None,
        "error": turn.error,
    }


class EpisodeState:
    """The mutable bookkeeping of one running episode (engine-internal, one per env slot).

    Args:
        index: Position of the episode in the rollout (its records are returned in this order).
        seed: Seed passed to ``env.reset``; the policy's turn seeds derive from it.
        env_id: Id recorded in the Episode.
    """

    def __init__(self, index: int, seed: int, env_id: str):
        self.index = index
        self.seed = seed
        self.env_id = env_id
        self.history: tuple[dict[str, Any], ...] = ()
        self.reset_info: dict[str, Any] = {}
        self.steps: list[StepRecord] = []
        self.done = False

    @property
    def turn(self) -> int:
        """1-based index of the next turn."""
        return len(self.steps) + 1

    def next_seed(self) -> int:
        return turn_seed(self.seed, self.turn)

    def record(self, turn: PolicyTurn, seed: int, result: tuple[Any, float, bool, bool, dict[str, Any]]) -> None:
        """Append the outcome of ``env.step`` for the policy's ``turn``."""
        observation, reward, terminated, truncated, info = result
        self.steps.append(
            StepRecord(
                turn=self.turn,
                action=action_text(turn.action),
                reward=float(reward),
                reward_components=dict(info.get("reward_components", {})),
                terminated=bool(terminated),
                truncated=bool(truncated),
                info={**info, "policy": policy_record(turn, seed)},
            )
        )
        self.history = observation
        self.done = bool(terminated or truncated)

    def episode(self) -> Episode:
        """The finished record."""
        metrics = self.steps[-1].info.get("metrics", {}) if self.steps else {}
        return Episode(
            env_id=self.env_id,
            seed=self.seed,
            task_id=str(self.reset_info.get("task_id", "")),
            messages=self.history,
            steps=tuple(self.steps),
            reset_info=self.reset_info,
            metrics={k: float(v) for k, v in (metrics or {}).items()},
        )
