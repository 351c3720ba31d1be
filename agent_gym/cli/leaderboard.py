"""``agent-gym leaderboard``: Naive RAG, Base Tool Call and your policies on HotpotQA, 2Wiki and MuSiQue.

Runs on the embedded defaults (SmolLM2-135M-Instruct, the bundled dev records, bm25); resumes where an
interrupted run stopped; writes Markdown, HTML, PNG plots and JSON next to the run's episodes. Every failure it
expects (a bad name or option, a folder held by another run, a full or read-only disk, a damaged file) is one
line on stderr with the fix: exit code 2 for the command's options, 1 for the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from agent_gym.cli._pairs import parse_pairs
from agent_gym.cli._policy_args import POLICY_METAVAR, policy_help, policy_spec
from agent_gym.cli._ray_args import add_ray_arguments, parse_ray
from agent_gym.errors import AgentGymError, ConfigError

__all__ = ["main"]


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _parser() -> argparse.ArgumentParser:
    from agent_gym.benchmarks.leaderboard import DATASETS, DEFAULT_LIMIT, DEFAULT_POLICY_OPTIONS, METHODS

    parser = argparse.ArgumentParser(prog="agent-gym leaderboard", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--methods", type=_names, default=tuple(METHODS), help=f"comma list of {', '.join(METHODS)} (default: all)"
    )
    parser.add_argument(
        "--datasets", type=_names, default=tuple(DATASETS), help=f"comma list of {', '.join(DATASETS)} or env ids"
    )
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        type=policy_spec,
        metavar=POLICY_METAVAR,
        help=policy_help("add a method: this policy acting in the multi-turn env (repeatable)"),
    )
    parser.add_argument(
        "--base-policy",
        default="embedded",
        type=policy_spec,
        metavar=POLICY_METAVAR,
        help=policy_help("the policy behind Naive RAG and Base Tool Call"),
    )
    parser.add_argument(
        "--policy-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"generation option of the model-backed policies (default {DEFAULT_POLICY_OPTIONS}); repeatable",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"questions per dataset (default {DEFAULT_LIMIT})")
    size.add_argument("--full", action="store_true", help="every question (all bundled dev records, or all of data=)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=3, help="passages Naive RAG retrieves")
    parser.add_argument("--batch-size", type=int, default=16, help="episodes played at once (a Ray worker's unit)")
    parser.add_argument(
        "--env-kwarg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="gym.make argument (default max_turns=5; repeatable)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: the cores idle at the start, at least 1; more threads than idle cores can be "
        "many times slower; 0: torch's choice)",
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% CIs (at least 100)")
    parser.add_argument(
        "--out", default=None, help="run folder (default results/leaderboard/<config fingerprint>); one run at a time holds it"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_ray_arguments(parser, envs_per_worker=False)  # a worker plays one batch (--batch-size envs) at a time
    return parser


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (printed by argparse) is a return code like every other refusal
        return int(exc.code or 0)
    from pydantic import ValidationError

    from agent_gym.benchmarks.leaderboard import (
        DEFAULT_ENV_KWARGS,
        DEFAULT_POLICY_OPTIONS,
        LeaderboardConfig,
        report,
        run_leaderboard,
    )

    started = time.perf_counter()
    if args.threads is None:
        from agent_gym.utils.cpu import idle_cores

        args.threads = idle_cores()
    if args.threads:  # before torch loads (it reads OMP_NUM_THREADS once); not part of the run's identity
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(args.threads)
    try:
        config = LeaderboardConfig(
            methods=args.methods,
            datasets=args.datasets,
            policies=tuple(spec.text for spec in args.policy),
            base_policy=args.base_policy.text,
            limit=None if args.full else args.limit,
            seed=args.seed,
            k=args.k,
            batch_size=args.batch_size,
            env_kwargs={**DEFAULT_ENV_KWARGS, **parse_pairs(args.env_kwarg, "--env-kwarg")},
            policy_options={**DEFAULT_POLICY_OPTIONS, **parse_pairs(args.policy_arg, "--policy-arg")},
            bootstrap_resamples=args.bootstrap,
        ).check_names()
        result, outputs = run_leaderboard(config, args.out, progress=not args.no_progress, ray=parse_ray(args))
    except ValidationError as exc:
        print(f"agent-gym leaderboard: invalid option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except AgentGymError as exc:
        print(f"agent-gym leaderboard: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    for note in result.notes:
        print(f"results file {outputs.episodes}: {note}", file=sys.stderr)
    print("\n".join(report.markdown_table(report.score_table(result, "em"))))
    print(f"\nwrote {outputs.markdown}, {outputs.html}, {outputs.folder / 'plots'}/ and {outputs.summary}")
    threads = f"{args.threads} torch thread(s)" if args.threads else "torch's threads"
    print(f"episodes in {outputs.episodes}; wall time {time.perf_counter() - started:.1f} s with {threads}")
    return 0
