"""docs/integrations.md's examples are code the suite runs: each ``python`` block executes and its asserts hold."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_an_example_per_adapter():
    assert len(BLOCKS) >= 2
    assert any("skyrl_gym.make" in b for b in BLOCKS) and any("gem.make_vec" in b for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[-1][:40] for b in BLOCKS])
def test_doc_example_runs(block):
    exec(compile(block, str(DOC), "exec"), {})
