"""The tutorials' code runs as written."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)


def test_your_own_env_tutorial_runs_and_is_short():
    blocks = python_blocks(DOCS / "tutorials" / "your-own-env.md")
    env_code = blocks[0]
    assert len([line for line in env_code.splitlines() if line.strip()]) < 40
    namespace: dict = {}
    exec(compile("\n".join(blocks), "your-own-env.md", "exec"), namespace)  # noqa: S102 - running the docs is the point
    assert namespace["info"]["metrics"] == {"em": 1.0}
