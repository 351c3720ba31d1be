"""``agent-gym rollout ENV_ID --policy NAME -n N --out episodes.jsonl``: run a policy, write episodes as JSONL.

Examples::

    agent-gym rollout KeyValueLookup-v0 --policy oracle -n 8 --out kv.jsonl
    agent-gym rollout MultiHopQA-v0 --policy embedded -p max_new_tokens=128 -n 16 --concurrency 8 --out qa.jsonl
    agent-gym rollout MultiHopQA-v0 --policy openai -p base_url=http://127.0.0.1:8000/v1 -p model=smol -n 64
    agent-gym rollout MultiHopQA-v0 --policy http://a:8000/v1,http://b:8000/v1#smol -n 64   # an endpoint pool
    agent-gym rollout MultiHopQA-v0 --policy oracle -n 32 --ray auto --workers 2 --envs-per-worker 4
    agent-gym rollout MultiHopQA-v0 --policy runs/sft -n 16        # a checkpoint folder (or sft: the shipped one)
    agent-gym rollout KeyValueLookup-v0 --policy my_pkg.agents:make_agent -n 8   # your own Policy
"""

from __future__ import annotations

import argparse
import functools
import sys

from agent_gym.cli._env_args import add_env_arguments, make_env
from agent_gym.cli._pairs import parse_pairs
from agent_gym.cli._policy_args import POLICY_METAVAR, policy_help, policy_spec
from agent_gym.cli._ray_args import add_ray_arguments, parse_ray
from agent_gym.errors import AgentGymError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from agent_gym.baselines.policies import POLICY_NAMES

    policies = "; ".join(f"{name}: {help_}" for name, help_ in POLICY_NAMES.items())
    parser = argparse.ArgumentParser(prog="agent-gym rollout", description="Run a policy in an env and write episodes as JSONL.")
    add_env_arguments(parser)
    parser.add_argument(
        "--policy",
        default="oracle",
        type=policy_spec,
        metavar=POLICY_METAVAR,
        help=f"{policy_help('the policy to run')} (several URLs: an endpoint pool). Names: {policies}",
    )
    parser.add_argument(
        "--policy-arg",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="policy option (JSON value when it parses; repeatable)",
    )
    parser.add_argument("-n", "--episodes", type=int, default=8, help="number of episodes (seeds SEED … SEED+N-1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--concurrency", "-c", type=int, default=8, help="env instances running at once")
    parser.add_argument("--max-batch", type=int, default=None, help="most histories per policy call (default: concurrency)")
    parser.add_argument("--out", "-o", default="episodes.jsonl", help="JSONL file to write")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_ray_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from agent_gym.rollout import RolloutEngine

    try:
        ray = parse_ray(args)
        make_env(args).close()  # fail fast on an unknown id or bad kwargs, before loading a model
        options = parse_pairs(args.policy_arg, "--policy-arg")
        build = args.policy.builder(options, check_endpoints=False)  # a server down now counts as policy errors
        envs = functools.partial(make_env, args)
        if ray is None:
            engine = RolloutEngine(
                envs, build(), concurrency=args.concurrency, max_batch=args.max_batch, progress=not args.no_progress
            )
        else:  # each worker builds its own policy and envs; --concurrency is --workers x --envs-per-worker there
            from agent_gym.rollout.ray_engine import RayRolloutEngine

            engine = RayRolloutEngine(envs, build, **ray.model_dump(), max_batch=args.max_batch, progress=not args.no_progress)
        episodes = engine.run(range(args.seed, args.seed + args.episodes), out=args.out)
    except AgentGymError as exc:
        print(f"agent-gym rollout: {exc}", file=sys.stderr)
        return 2
    stats = engine.stats
    rewards = [e.total_reward for e in episodes]
    mean = sum(rewards) / len(rewards) if rewards else 0.0
    print(
        f"{len(episodes)} episodes, {stats.turns} turns in {stats.wall_s:.2f} s "
        f"(policy {stats.policy_s:.2f} s, {stats.policy_errors} policy errors); mean reward {mean:.3f}; wrote {args.out}"
    )
    failures = getattr(engine, "failures", [])
    for failure in failures:
        print(
            f"agent-gym rollout: episode {failure.index} failed after {failure.attempts} attempts: {failure.reason}",
            file=sys.stderr,
        )
    if failures:
        print(f"agent-gym rollout: {len(failures)} episode(s) failed; listed in {args.out}.failed.jsonl", file=sys.stderr)
    return 1 if failures else 0
