"""docs/tutorials/plug-your-own-trainer.md runs as written, and its REINFORCE loop really trains."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch

DOC = Path(__file__).resolve().parents[2] / "docs" / "tutorials" / "plug-your-own-trainer.md"


@pytest.mark.slow
def test_the_reinforce_tutorial_runs_and_sampler_and_trainer_agree():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 3
    namespace: dict = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two spin-waiting OpenMP threads on a shared 2-core machine are far slower
    try:
        exec(compile("\n".join(blocks), DOC.name, "exec"), namespace)  # noqa: S102 - running the docs is the point
    finally:
        torch.set_num_threads(threads)
    trajectory = namespace["trajectory"]
    assert sum(trajectory.loss_mask) > 0 and len(namespace["samples"]) == len(trajectory.turn_spans)
    assert namespace["ratio_error"] < 1e-3
    assert math.isfinite(namespace["loss"].item())
