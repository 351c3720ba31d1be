"""The multi-agent tutorial's code runs as written, and says what it shows."""

from __future__ import annotations

import re
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorials" / "your-own-multiagent-env.md"


def test_tutorial_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(), re.DOTALL)
    assert len(blocks) == 4
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(TUTORIAL), "exec"), namespace)  # noqa: S102 - running the docs is the point
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Report from searcher_0:")
    assert printed[-1] == "{'searcher_0': 1.0, 'answerer_0': 1.0}"
    assert namespace["episode"].metrics == {"em": 1.0}


def test_env_card_code_runs():
    card = TUTORIAL.parents[1] / "envs" / "multihopqa-team.md"
    blocks = re.findall(r"```python\n(.*?)```", card.read_text(), re.DOTALL)
    assert len(blocks) == 2
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(card), "exec"), namespace)  # noqa: S102 - running the docs is the point
    assert str(namespace["aec"]) == "multihopqa_team_v0" and namespace["env"].agents == []
    assert namespace["episode"].metrics["em"] == 1.0
    assert namespace["episode"].episodes["searcher_0"].steps[0].info["tool_calls"][0]["name"] == "search"
