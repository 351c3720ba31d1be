"""The rollout engine: N episodes over M env instances, policy calls batched, env steps overlapped.

The main thread owns the policy: it collects every episode waiting for a turn into one ``policy.act`` call
(at most ``max_batch`` histories). Env resets and steps (hence tool calls, with their latency) run on a pool
of ``concurrency`` threads, one per env instance, so slow tools overlap each other and the next policy
batch. Episode ``i`` is reset with ``seeds[i]`` and each of its turns is sampled with
:func:`~agent_gym.rollout.episode.turn_seed`, so the episodes do not depend on the concurrency or on the order
in which they finish; they are returned (and written to JSONL) in index order.

A policy that batches continuously (:class:`~agent_gym.rollout.policy.StreamingPolicy` with ``streaming`` set,
e.g. the embedded model) gets each turn the moment its episode is ready, through ``submit``, and each finished
turn goes to its env at once: no episode waits for the slowest turn of a batch.

Episodes are assembled by :class:`~agent_gym.rollout.episode.EpisodeState`, with the conventions of
:mod:`agent_gym.rollout.episode`: a turn the policy could not produce (``PolicyTurn.error`` set, or a
:class:`~agent_gym.errors.PolicyError` raised by ``act``) is stepped as an empty turn, which the env scores as a
format error, and the error is recorded in the step's ``policy.error``; the rollout goes on.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import gymnasium as gym
from pydantic import BaseModel, ConfigDict

from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.episode import EpisodeState, act, env_id_of, error_turn, step_action
from agent_gym.rollout.jsonl import EpisodeWriter
from agent_gym.rollout.policy import EpisodeAware, Policy, PolicyTurn, StreamingPolicy
from agent_gym.types import Episode

__all__ = ["EnvSpec", "RolloutEngine", "RolloutStats"]

EnvSpec = str | Callable[[], gym.Env]
"""A registered env id, or a zero-argument factory returning a fresh env."""


class RolloutStats(BaseModel):
    """Timings of one :meth:`RolloutEngine.run` (kept out of the episodes, which stay reproducible)."""

    model_config = ConfigDict(frozen=True)

    episodes: int
    """Episodes finished."""
    turns: int
    """Turns taken, over all episodes."""
    policy_calls: int
    """``policy.act`` calls (batches), or ``policy.submit`` calls (turns) for a streaming policy."""
    policy_errors: int
    """Turns recorded as policy errors."""
    wall_s: float
    """Wall-clock seconds of the whole rollout."""
    policy_s: float
    """Seconds spent inside ``policy.act``, or with at least one turn in flight for a streaming policy."""


class RolloutEngine:
    """Runs episodes of one env with one policy.

    Args:
        env: A registered env id or a factory of fresh env instances.
        policy: Anything implementing :class:`~agent_gym.rollout.policy.Policy`.
        concurrency: Env instances (and step threads) running at once.
        max_batch: Most histories per ``policy.act`` call; None means ``concurrency`` (a streaming policy batches
            its turns itself, up to its own limit).
        env_kwargs: Keyword arguments for ``gym.make`` when ``env`` is an id.
        reset_options: ``options`` passed to every ``reset``.
        progress: Show a tqdm progress bar.
    """

    def __init__(
        self,
        env: EnvSpec,
        policy: Policy,
        *,
        concurrency: int = 8,
        max_batch: int | None = None,
        env_kwargs: dict[str, Any] | None = None,
        reset_options: dict[str, Any] | None = None,
        progress: bool = False,
    ):
        if concurrency < 1 or (max_batch is not None and max_batch < 1):
            raise ConfigError(f"concurrency and max_batch must be >= 1, got {concurrency} and {max_batch}")
        if not isinstance(policy, Policy):
            raise ConfigError(f"{policy!r} is not a Policy: it needs act(histories, *, tools=None, seeds=None)")
        if isinstance(env, str):
            env_id, kwargs = env, dict(env_kwargs or {})
            self._make_env: Callable[[], gym.Env] = lambda: gym.make(env_id, **kwargs)
        elif callable(env):
            self._make_env = env
        else:
            raise ConfigError(f"env must be a registered id or a factory returning an env, got {type(env).__name__}")
        self.policy = policy
        self.concurrency = concurrency
        self.max_batch = max_batch or concurrency
        self.reset_options = dict(reset_options or {})
        self.progress = progress
        self.stats: RolloutStats | None = None
        """Timings of the last run."""

    def run(
        self,
        seeds: Sequence[int],
        *,
        options: Sequence[Mapping[str, Any] | None] | None = None,
        out: str | Path | None = None,
        on_episode: Callable[[Episode], None] | None = None,
    ) -> list[Episode]:
        """Run one episode per seed; return them in seed order (and stream them to ``out`` as JSONL).

        Args:
            seeds: The reset seed of each episode (its sampling; turn seeds derive from it).
            options: Per-episode ``reset`` options (e.g. ``{"index": i}``, the task), merged over the engine's
                ``reset_options``; None for none.
            out: JSONL file to stream the episodes to.
            on_episode: Called with each finished episode.
        """
        return self._run(seeds, options, out, None if on_episode is None else lambda _, episode: on_episode(episode))

    def stream(
        self, seeds: Sequence[int], *, options: Sequence[Mapping[str, Any] | None] | None = None
    ) -> Iterator[tuple[int, Episode]]:
        """Like :meth:`run`, but yield ``(position in seeds, episode)`` as each episode ends.

        The rollout runs on a background thread; closing the iterator early starts no further episode and waits
        for the ones in flight. An error of the rollout is raised here.
        """
        finished: queue.Queue = queue.Queue()
        stop = threading.Event()
        end = object()

        def produce() -> None:
            try:
                self._run(seeds, options, None, lambda index, episode: finished.put((index, episode)), stop)
                finished.put(end)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
                finished.put(exc)

        worker = threading.Thread(target=produce, name="rollout-stream", daemon=True)
        worker.start()
        try:
            while (item := finished.get()) is not end:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            worker.join()

    def _run(
        self,
        seeds: Sequence[int],
        options: Sequence[Mapping[str, Any] | None] | None,
        out: str | Path | None,
        on_result: Callable[[int, Episode], None] | None,
        stop: threading.Event | None = None,
    ) -> list[Episode]:
        seeds = [int(s) for s in seeds]
        if options is not None and len(options) != len(seeds):
            raise ConfigError(f"need one options entry per seed, got {len(options)} for {len(seeds)} seeds")
        per_episode = [{**self.reset_options, **(o or {})} or None for o in (options or [None] * len(seeds))]
        started = time.perf_counter()
        writer = EpisodeWriter(out) if out is not None else None
        envs: list[gym.Env] = [self._make_env() for _ in range(min(self.concurrency, len(seeds)) or 1)]
        run = _Run(self, envs, seeds, per_episode, writer, on_result, stop)
        try:
            run.loop()
        finally:
            for env in envs:
                env.close()
            if writer is not None:
                writer.close()
        self.stats = RolloutStats(
            episodes=len(seeds),
            turns=run.turns,
            policy_calls=run.calls,
            policy_errors=run.errors,
            wall_s=round(time.perf_counter() - started, 6),
            policy_s=round(run.policy_s, 6),
        )
        return [episode for episode in run.results if episode is not None]


class _Run:
    """The state of one :meth:`RolloutEngine.run`: env slots, the pending queue, completions, counters.

    Env work (and a streaming policy's turns) completes on other threads, which only put a :class:`_Done` on a
    queue; all bookkeeping and every policy call happen on the calling thread.
    """

    def __init__(
        self,
        engine: RolloutEngine,
        envs: list[gym.Env],
        seeds: list[int],
        options: list[dict[str, Any] | None],
        writer: EpisodeWriter | None,
        on_result: Callable[[int, Episode], None] | None,
        stop: threading.Event | None,
    ) -> None:
        self.engine = engine
        self.policy = engine.policy
        self.envs = envs
        self.env_id = env_id_of(envs[0])
        self.seeds = seeds
        self.options = options
        self.writer = writer
        self.on_result = on_result
        self.stop = stop
        self.results: list[Episode | None] = [None] * len(seeds)
        self.pending = list(range(len(seeds)))[::-1]  # popped from the end: lowest index first
        self.ready: list[tuple[int, EpisodeState]] = []
        self.completed: queue.Queue = queue.Queue()
        self.in_flight = 0
        self.turns = self.calls = self.errors = 0
        self.policy_s = 0.0
        self.aware = isinstance(self.policy, EpisodeAware)
        self.streaming = isinstance(self.policy, StreamingPolicy) and bool(self.policy.streaming)
        self.turns_in_flight = 0
        self.busy_since = 0.0

    def loop(self) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=len(self.seeds), disable=not self.engine.progress, desc=self.env_id, unit="ep")
        with ThreadPoolExecutor(max_workers=len(self.envs), thread_name_prefix="rollout-env") as self.pool:
            try:
                for slot in range(len(self.envs)):
                    self._start(slot)
                while self.in_flight or self.ready:
                    if not self.ready:
                        self._collect(block=True)
                    self._collect(block=False)  # whatever else finished meanwhile joins this batch
                    self.ready.sort(key=lambda item: item[1].index)
                    if self.streaming:
                        for slot, state in self.ready:
                            self._request(slot, state)
                        self.ready = []
                        continue
                    batch, self.ready = self.ready[: self.engine.max_batch], self.ready[self.engine.max_batch :]
                    if batch:
                        self._act(batch)
            finally:
                self.bar.close()

    def _submit(self, slot: int, state: EpisodeState, turn: PolicyTurn | None, turn_seed: int, call: Callable[[], Any]) -> None:
        future = self.pool.submit(call)
        self.in_flight += 1
        kind = "reset" if turn is None else "step"
        future.add_done_callback(lambda f: self.completed.put(_Done(kind, slot, state, turn, turn_seed, f)))

    def _request(self, slot: int, state: EpisodeState) -> None:
        """Hand one turn to a streaming policy; its env step is submitted when it finishes."""
        seed = state.next_seed()
        tools = getattr(self.envs[slot].unwrapped, "tool_schemas", None)
        if self.turns_in_flight == 0:
            self.busy_since = time.perf_counter()
        self.turns_in_flight += 1
        self.in_flight += 1
        self.calls += 1
        try:
            future = self.policy.submit(state.history, tools=tools, seed=seed)
        except PolicyError as exc:
            future = _failed(exc)
        future.add_done_callback(lambda f: self.completed.put(_Done("turn", slot, state, None, seed, f)))

    def _start(self, slot: int) -> None:
        if self.pending and not (self.stop is not None and self.stop.is_set()):
            index = self.pending.pop()
            state = EpisodeState(index, self.seeds[index], self.env_id)
            options = self.options[index]
            env = self.envs[slot]
            self._submit(slot, state, None, 0, lambda: env.reset(seed=state.seed, options=options))

    def _collect(self, *, block: bool) -> None:
        """Handle finished resets and steps (waiting for one when ``block``)."""
        while self.in_flight:
            try:
                kind, slot, state, turn, seed, future = self.completed.get(block=block)
            except queue.Empty:
                return
            block = False
            self.in_flight -= 1
            if kind == "turn":  # a streaming policy finished a turn: step the env with it
                self._turn_done(slot, state, seed, future)
                continue
            if kind == "reset":
                state.history, state.reset_info = future.result()
                if self.aware:
                    self.policy.start_episode(state.episode_id, state.history, dict(state.reset_info))
                self.ready.append((slot, state))
                continue
            state.record(step_action(turn), future.result(), turn, seed)
            self.turns += 1
            if state.done:
                self._finish(slot, state)
            else:
                self.ready.append((slot, state))

    def _finish(self, slot: int, state: EpisodeState) -> None:
        if self.aware:
            self.policy.end_episode(state.episode_id, state.history)
        episode = self.results[state.index] = state.episode()
        if self.writer is not None:
            self.writer.add(state.index, episode)
        if self.on_result is not None:
            self.on_result(state.index, episode)
        self.bar.update(1)
        self._start(slot)

    def _turn_done(self, slot: int, state: EpisodeState, seed: int, future: Any) -> None:
        self.turns_in_flight -= 1
        if self.turns_in_flight == 0:
            self.policy_s += time.perf_counter() - self.busy_since
        try:
            turn = future.result()
        except PolicyError as exc:
            turn = error_turn(exc)
        self.errors += turn.error is not None
        self._submit(slot, state, turn, seed, functools.partial(self.envs[slot].step, step_action(turn)))

    def _act(self, batch: list[tuple[int, EpisodeState]]) -> None:
        """One policy call for ``batch``; submit each resulting env step."""
        histories = [state.history for _, state in batch]
        turn_seeds = [state.next_seed() for _, state in batch]
        tools = getattr(self.envs[batch[0][0]].unwrapped, "tool_schemas", None)
        tick = time.perf_counter()
        episodes = [state.episode_id for _, state in batch]
        turns = act(self.policy, histories, tools=tools, seeds=turn_seeds, episodes=episodes)
        self.policy_s += time.perf_counter() - tick
        self.calls += 1
        for (slot, state), turn, seed in zip(batch, turns, turn_seeds, strict=True):
            self.errors += turn.error is not None
            self._submit(slot, state, turn, seed, functools.partial(self.envs[slot].step, step_action(turn)))


class _Done(NamedTuple):
    """Something that finished on another thread: a reset, an env step, or a streaming policy's turn."""

    kind: str
    """``"reset"``, ``"step"`` or ``"turn"``."""
    slot: int
    state: EpisodeState
    turn: PolicyTurn | None
    """The policy turn a step was taken with (None for resets and turns)."""
    seed: int
    """The turn's sampling seed."""
    future: Any


def _failed(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future
