"""``--ray auto|ADDRESS`` and its sizes: the distributed engine as an option of ``rollout`` and ``leaderboard``."""

from __future__ import annotations

import argparse

from agent_gym.rollout.ray_pool import RayOptions, ray_options

__all__ = ["add_ray_arguments", "parse_ray"]


def add_ray_arguments(parser: argparse.ArgumentParser, *, envs_per_worker: bool = True) -> None:
    """The Ray flags; ``envs_per_worker=False`` leaves that one out (the leaderboard's batch size sets it)."""
    group = parser.add_argument_group("on a Ray cluster (needs the ray extra; without --ray everything runs in this process)")
    group.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        default=None,
        help="run on this Ray cluster: auto (the one this machine joined with `ray start`, else a local one) or HOST:PORT",
    )
    group.add_argument("--workers", type=int, default=2, help="rollout actors (default 2)")
    if envs_per_worker:
        group.add_argument("--envs-per-worker", type=int, default=4, help="env instances per actor (default 4)")
    group.add_argument(
        "--episode-timeout",
        type=float,
        default=600.0,
        help="seconds before a worker's episodes are abandoned, its actor killed and they are retried (default 600)",
    )
    group.add_argument("--max-attempts", type=int, default=2, help="tries per episode before it is recorded failed (default 2)")


def parse_ray(args: argparse.Namespace) -> RayOptions | None:
    """The parsed flags as :class:`RayOptions`, or None without ``--ray``.

    Raises:
        MissingDependency: ``--ray`` without the ray extra.
        ConfigError: a size out of range.
    """
    if args.ray is None:
        return None
    from agent_gym.utils.extras import require_extra

    require_extra("ray", "--ray")
    sizes = {"envs_per_worker": args.envs_per_worker} if hasattr(args, "envs_per_worker") else {}
    return ray_options(
        address=args.ray, workers=args.workers, episode_timeout_s=args.episode_timeout, max_attempts=args.max_attempts, **sizes
    )
