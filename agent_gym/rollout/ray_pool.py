"""A pool of Ray actors that plays units of episodes and turns every fault into data.

The one failure boundary of distributed rollouts: the rollout engine on Ray
(:mod:`agent_gym.rollout.ray_engine`) and the leaderboard on Ray both hand it *units* (a list of items, e.g.
episode indices, played by one actor call) and get back, for every item exactly once, either its result or an
:class:`EpisodeFailure`. Nothing is lost and nothing is doubled:

* an actor that dies (its process killed, its node lost) takes the units it was playing with it; they are
  played again on a fresh actor;
* a unit that runs past ``timeout_s`` has its actor killed (a hung tool or server leaves nothing else to do)
  and is played again;
* an exception raised while playing counts as a failed attempt as well.

A unit played again is split into single items (``split_retries``), so one bad episode cannot take its
neighbours down twice; the leaderboard keeps its batches whole instead, because a batch's members are part of
its episodes' identity. An item that failed ``max_attempts`` times comes back as an :class:`EpisodeFailure`
with the last reason. Each actor plays one unit at a time, so a unit's clock starts when it is submitted (the
start-up of a fresh actor, e.g. loading a model, counts: keep the time limit well above it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import ConfigError

__all__ = ["ActorPool", "EpisodeFailure", "RayOptions", "connect", "ray_options"]

_POLL_S = 0.5  # longest wait between deadline checks


class EpisodeFailure(BaseModel):
    """An episode that could not be played: recorded instead of its result, with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    """Position of the episode in its run (what the caller handed to the pool)."""
    reason: str
    """Why the last attempt failed: the worker died, the time limit, or the exception raised."""
    attempts: int
    """How many times it was tried."""


class RayOptions(BaseModel):
    """Where a distributed run goes and how wide (what ``--ray``, ``--workers``, ... set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = "auto"
    """The Ray cluster: ``auto`` (the one this machine belongs to, else a local one) or ``HOST:PORT``."""
    workers: int = Field(2, ge=1)
    """Rollout actors."""
    envs_per_worker: int = Field(4, ge=1)
    """Env instances per actor (episodes it plays at once)."""
    episode_timeout_s: float | None = Field(600.0, gt=0)
    """Longest a unit of episodes may run before its worker is killed and the unit retried; None: no limit."""
    max_attempts: int = Field(2, ge=1)
    """Tries per episode before it is recorded as failed."""
    worker_cpus: float = Field(1.0, ge=0)
    """CPUs each actor reserves in Ray's scheduler."""


def ray_options(**fields: Any) -> RayOptions:
    """:class:`RayOptions` from keyword arguments; a bad value is a :class:`~agent_gym.errors.ConfigError`.

    Example:
        >>> ray_options(workers=0)
        Traceback (most recent call last):
        ...
        agent_gym.errors.ConfigError: Ray option workers=0: Input should be greater than or equal to 1
    """
    from pydantic import ValidationError

    try:
        return RayOptions(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(map(str, error["loc"]))
        raise ConfigError(f"Ray option {name}={fields.get(name, '')!r}: {error['msg']}") from None


@dataclass
class _Unit:
    items: list[Any]
    attempt: int = 1


@dataclass
class _Running:
    unit: _Unit
    actor: Any
    deadline: float | None


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` (``auto``: the one this machine belongs to) unless already connected.

    With ``auto`` and no cluster running, a one-machine Ray instance is started (what ``ray.init()`` does),
    so ``--ray auto`` also works on a laptop.
    """
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    except ConnectionError:
        if address != "auto":
            raise ConfigError(f"no Ray cluster answers at {address!r}; start one with `ray start --head`") from None
        ray.init(log_to_driver=False, configure_logging=False)


class ActorPool:
    """Actors of ``worker_cls`` playing units through ``call``, with retries, a time limit and replacements.

    Connects to the cluster of ``options.address`` (see :func:`connect`) when the first actor starts; actors
    reserve ``options.worker_cpus`` and are spread over the nodes.

    Args:
        worker_cls: The actor's class (a plain class; it is made a Ray actor here).
        args: Its constructor's arguments (pickled once per actor started).
        options: Workers, time limit and attempts.
        split_retries: Play a unit that failed again item by item (True) or whole.
    """

    def __init__(self, worker_cls: type, args: tuple[Any, ...], options: RayOptions, *, split_retries: bool = True):
        self.worker_cls = worker_cls
        self.args = args
        self.options = options
        self.split_retries = split_retries
        self._actor_cls: Any = None
        self.actors: list[Any] = []
        """The live actors (idle ones are reused by the next :meth:`run`)."""
        self.replaced = 0
        """Actors replaced so far (died or killed for the time limit)."""

    def run(self, units: Sequence[Sequence[Any]], call: Callable[[Any, list[Any]], Any]) -> Iterator[tuple[Any, Any]]:
        """Play every unit; yield ``(item, result)`` or ``(item, EpisodeFailure)`` once per item, as they finish.

        Args:
            units: The items of each actor call.
            call: ``call(actor, items)`` submits a unit and returns the ObjectRef of its results, a list with
                one result per item, in order. An item must be an ``int`` index for its failure record.
        """
        import ray

        queue = [_Unit(list(items)) for items in units if len(items)][::-1]  # popped from the end: first unit first
        running: dict[Any, _Running] = {}
        idle = list(self.actors)
        try:
            while queue or running:
                while queue and (idle or len(self.actors) < self.options.workers):
                    actor = idle.pop() if idle else self._new_actor()
                    unit = queue.pop()
                    timeout_s = self.options.episode_timeout_s
                    deadline = time.monotonic() + timeout_s if timeout_s is not None else None
                    running[call(actor, unit.items)] = _Running(unit, actor, deadline)
                yield from self._wait(running, queue, idle, ray)
        finally:
            for ref in running:  # the caller stopped early: leave no work behind
                try:
                    ray.cancel(ref)
                except Exception:  # noqa: BLE001 - best effort; its actor is killed with the pool
                    pass

    def close(self) -> None:
        """Kill every actor of the pool."""
        import ray

        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []

    def _new_actor(self) -> Any:
        if self._actor_cls is None:
            import ray

            connect(self.options.address)
            remote = ray.remote(num_cpus=self.options.worker_cpus, max_restarts=0)(self.worker_cls)
            self._actor_cls = remote.options(scheduling_strategy="SPREAD")
        actor = self._actor_cls.remote(*self.args)
        self.actors.append(actor)
        return actor

    def _wait(self, running: dict[Any, _Running], queue: list[_Unit], idle: list[Any], ray: Any) -> Iterator[tuple[Any, Any]]:
        now = time.monotonic()
        deadlines = [r.deadline for r in running.values() if r.deadline is not None]
        wait_s = max(0.0, min([_POLL_S, *(d - now for d in deadlines)]))
        done, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
        for ref in done:
            job = running.pop(ref)
            try:
                results = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # raised inside the call: the actor is still usable
                idle.append(job.actor)
                yield from self._retry(job.unit, _reason(exc), queue)
                continue
            except ray.exceptions.RayError as exc:  # the actor (or its node) is gone
                self._drop(job.actor, ray)
                yield from self._retry(job.unit, f"the worker died ({type(exc).__name__})", queue)
                continue
            idle.append(job.actor)
            if len(results) != len(job.unit.items):
                raise ConfigError(f"a worker returned {len(results)} results for {len(job.unit.items)} items")
            yield from zip(job.unit.items, results, strict=True)
        now = time.monotonic()
        for ref, job in list(running.items()):
            if job.deadline is not None and now >= job.deadline:
                del running[ref]
                self._drop(job.actor, ray)
                yield from self._retry(job.unit, f"timed out after {self.options.episode_timeout_s:g} s", queue)

    def _drop(self, actor: Any, ray: Any) -> None:
        """Kill and forget an actor (it was playing one unit: the caller retries it)."""
        ray.kill(actor, no_restart=True)
        self.actors = [a for a in self.actors if a is not actor]
        self.replaced += 1

    def _retry(self, unit: _Unit, reason: str, queue: list[_Unit]) -> Iterator[tuple[Any, EpisodeFailure]]:
        if unit.attempt >= self.options.max_attempts:
            for item in unit.items:
                yield item, EpisodeFailure(index=int(item), reason=reason, attempts=unit.attempt)
            return
        if self.split_retries:
            queue.extend(_Unit([item], unit.attempt + 1) for item in reversed(unit.items))
        else:
            queue.append(_Unit(unit.items, unit.attempt + 1))


def _reason(exc: Exception) -> str:
    """The original exception of a failed Ray call, in one line."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"[:300]
