"""``agent-gym bench``: env, retrieval, rollout and token-trajectory speed, as ratios against same-run references.

Prints a short table and the JSON; ``--out FILE`` also writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agent_gym.errors import ConfigError

__all__ = ["main"]


def _sections(text: str) -> list[str]:
    from agent_gym.benchmarks.perf import SECTIONS
    from agent_gym.errors import unknown_name

    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in SECTIONS:
            raise argparse.ArgumentTypeError(unknown_name("section", name, SECTIONS))
    return names


def main(argv: list[str]) -> int:
    from agent_gym.benchmarks.perf import SECTIONS, run_bench

    parser = argparse.ArgumentParser(prog="agent-gym bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=_sections, default=list(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run; the figures are noisy)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    try:
        results = run_bench(args.sections, quick=args.quick, log=lambda line: print(line, file=sys.stderr))
    except ConfigError as exc:
        print(f"agent-gym bench: {exc}", file=sys.stderr)
        return 2
    for section, figures in results.items():
        for key, value in figures.items():
            if key.startswith(("ratio_", "speedup_")) or key == "error":
                shown = f"{value:.3f}" if isinstance(value, float) else value
                print(f"{section:10s} {key:45s} {shown}")
    text = json.dumps(results, indent=2, sort_keys=True)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 1 if any("error" in figures for figures in results.values()) else 0
