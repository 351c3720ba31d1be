"""agent-gym envs in TRL 1.16's ``GRPOTrainer``, two ways.

1. **Our rollouts** (what ``agent-gym train grpo`` uses): :class:`EnvRolloutFunc` is a ``rollout_func``.
   TRL hands it the batch's prompts (each task's opening, repeated ``num_generations`` times); it plays the
   episodes with agent-gym's rollout engine on the model being trained and returns the exact generated ids
   and their logprobs, the env's tokens in between with ``env_mask`` 0 (TRL then trains on policy tokens
   only), and each episode's return as the extra field ``env_reward``, which :func:`env_reward` hands back
   to TRL as the reward. :func:`task_dataset` builds the matching ``train_dataset``.
2. **TRL's own tool loop**: :func:`environment_factory` adapts an env to TRL's ``environment_factory``
   contract (``reset(**row)`` plus one typed, documented method per tool); :func:`environment_reward` finishes
   each episode with the model's final message and returns its return.

trl is imported only inside these functions' callers; this module imports neither trl nor torch.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym

from agent_gym.errors import ConfigError
from agent_gym.integrations.rollouts import TrainingRollouts
from agent_gym.rollout.policy import episode_key
from agent_gym.rollout.tasks import sampling_seed
from agent_gym.utils.divergence import check_finite

__all__ = ["EnvRolloutFunc", "env_reward", "environment_factory", "environment_reward", "task_dataset"]


def task_dataset(rollouts: TrainingRollouts, tasks: Sequence[int]) -> Any:
    """A ``datasets.Dataset`` with one row per task: ``prompt`` (its opening messages) and ``task_index``."""
    from datasets import Dataset

    rows = [{"prompt": [dict(m) for m in rollouts.opening(task)], "task_index": int(task)} for task in tasks]
    return Dataset.from_list(rows)


class EnvRolloutFunc:
    """A TRL ``rollout_func`` playing agent-gym episodes on the model being trained.

    Args:
        rollouts: How to collect episodes (env, tokenizer, generation budget).
        tasks: The task indices of the training dataset (to find each prompt's task again).
    """

    def __init__(self, rollouts: TrainingRollouts, tasks: Sequence[int]):
        self.rollouts = rollouts
        self.task_of = {episode_key(rollouts.opening(task)): int(task) for task in tasks}
        self.last_metrics: dict[str, float] = {}
        """Mean episode return of the last call, and its turns that hit a template exception (``inexact_turns``
        of the trajectories), for the logs and the learning curves."""

    def __call__(self, prompts: list[list[dict[str, Any]]], trainer: Any) -> dict[str, list]:
        tasks = [self._task(prompt) for prompt in prompts]
        step = int(getattr(getattr(trainer, "state", None), "global_step", 0))
        # Each slot of the batch samples with its own seed, whatever task it plays: a group's draws differ.
        seeds = [sampling_seed(self.rollouts.plan.seed, step, slot) for slot in range(len(tasks))]
        model = trainer.accelerator.unwrap_model(trainer.model) if hasattr(trainer, "accelerator") else trainer.model
        samples = self.rollouts.collect(model, tasks, seeds)
        returns = [s.episode.total_reward for s in samples]
        check_finite("an episode return", returns, step=step + 1)
        inexact = sum(len(s.trajectory.inexact_turns) for s in samples)  # ids exact; the template's text differs
        self.last_metrics = {"reward_mean": sum(returns) / len(returns), "inexact_turns": float(inexact)}
        return {
            "prompt_ids": [list(s.trajectory.prompt_ids) for s in samples],
            "completion_ids": [list(s.trajectory.completion_ids) for s in samples],
            "logprobs": [list(s.trajectory.logprobs) for s in samples],
            "env_mask": [list(s.trajectory.loss_mask) for s in samples],
            "env_reward": returns,
        }

    def _task(self, prompt: list[dict[str, Any]]) -> int:
        key = episode_key(prompt)
        if key not in self.task_of:
            raise ConfigError(
                "a prompt that is not one of this rollout_func's tasks reached it; build train_dataset with "
                "task_dataset(rollouts, tasks) from the same tasks"
            )
        return self.task_of[key]


def env_reward(completions: list[Any], env_reward: list[float], **kwargs: Any) -> list[float]:
    """TRL reward function: the episode return that :class:`EnvRolloutFunc` put in the batch.

    TRL would silently drop a NaN reward (it marks the episode unscorable); a non-finite return means the
    env or the rollout is broken, so it stops training instead.

    Raises:
        DivergenceError: a return is NaN or infinite.

    Example:
        >>> env_reward(["a", "b"], env_reward=[1.0, -0.5])
        [1.0, -0.5]
    """
    state = kwargs.get("trainer_state")
    check_finite("an episode return", env_reward, step=int(getattr(state, "global_step", 0)) + 1)
    return [float(r) for r in env_reward]


# -- TRL's own tool loop ------------------------------------------------------------------------------------

_JSON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}


def environment_factory(env_id: str, **env_kwargs: Any) -> Callable[[], Any]:
    """A TRL ``environment_factory`` for ``env_id``: each call returns a fresh adapter instance.

    The adapter's public methods are the env's tools (typed, with Google docstrings, as TRL requires);
    ``reset(**row)`` resets the env with the row's ``seed`` / ``task_index`` columns and returns the
    instructions and the task as text. Tool calls are stepped through the env as native tool calls, so
    its noise and process rewards apply; pair it with ``reward_funcs=[environment_reward]``.
    """
    probe = gym.make(env_id, **env_kwargs)
    tools = list(probe.unwrapped.tools.values())
    probe.close()
    namespace: dict[str, Any] = {"__doc__": f"{env_id} as a TRL environment (agent-gym adapter)."}
    for t in tools:
        namespace[t.name] = _tool_method(t.name, t.description, dict(t.parameters))
    adapter = type(f"{env_id.split('-')[0]}Environment", (_EnvironmentAdapter,), namespace)
    return lambda: adapter(gym.make(env_id, **env_kwargs))


def environment_reward(completions: list[Any], environments: list[Any], **kwargs: Any) -> list[float]:
    """TRL reward function for :func:`environment_factory`: step each env with the final message, return its return.

    The env pays its outcome only when an episode ends; a final message that neither answers nor hits the turn
    limit leaves the episode open, and the reward is then the return so far (the process rewards of its turns).
    """
    rewards = []
    for completion, environment in zip(completions, environments, strict=True):
        final = completion[-1].get("content", "") if isinstance(completion, list) and completion else str(completion)
        rewards.append(environment._finish(final or ""))
    return rewards


class _EnvironmentAdapter:
    """Base of the generated adapters: holds one env and its running return."""

    def __init__(self, env: gym.Env):
        self._env = env
        self._return = 0.0
        self._done = True

    def reset(self, **row: Any) -> str:
        """Reset the env for a dataset row and return the task text to append to the user message."""
        options = {"index": int(row["task_index"])} if "task_index" in row else None
        seed = int(row["seed"]) if "seed" in row else None
        self._env.reset(seed=seed, options=options)
        self._return, self._done = 0.0, False
        env = self._env.unwrapped
        return f"{env.instructions}\n\n{env.task.prompt}"

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        if self._done:
            return "The episode is over: give your final answer."
        call = {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
        observation, reward, terminated, truncated, _ = self._env.step({"role": "assistant", "content": "", "tool_calls": [call]})
        self._return += reward
        self._done = terminated or truncated
        replies = [m.get("content", "") for m in observation[::-1] if m.get("role") in ("tool", "user")][:1]
        return str(replies[0]) if replies else ""

    def _finish(self, final_message: str) -> float:
        """Step the env with the model's final message (its answer) unless it is over; return the episode return."""
        if not self._done:
            _, reward, terminated, truncated, _ = self._env.step(final_message)
            self._return += reward
            self._done = terminated or truncated
        return self._return


def _tool_method(name: str, description: str, schema: dict[str, Any]) -> Callable[..., str]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {"return": str}
    doc_args = []
    for arg, spec in properties.items():
        kind = _JSON_TYPES.get(spec.get("type", "string"), str)
        default = inspect.Parameter.empty if arg in required else spec.get("default")
        params.append(inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind))
        annotations[arg] = kind
        doc_args.append(f"    {arg}: {spec.get('description', arg)}")

    def method(self: _EnvironmentAdapter, **arguments: Any) -> str:
        return self._call(name, arguments)

    method.__name__ = method.__qualname__ = name
    method.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    method.__annotations__ = annotations
    args = "\n\nArgs:\n" + "\n".join(doc_args) if doc_args else ""
    method.__doc__ = f"{description}{args}\n\nReturns:\n    The tool's result."
    return method
