"""Leaderboard test fixtures: a deterministic key-value solver that is sometimes wrong, importable as ``kvpolicy``.

It is written into a temporary folder put on ``sys.path`` (and on the ``PYTHONPATH`` of subprocesses), so the
leaderboard loads it through its ``module:attribute`` policy specs exactly as a user's own policy.
"""

import os
import sys

import pytest

POLICY_SOURCE = '''
import re
import time

from agent_gym.rollout.policy import PolicyTurn

DELAY_S = {delay}


def _call(key):
    return '<tool_call>{{"name": "lookup", "arguments": {{"key": "%s"}}}}</tool_call>' % key


class SlowKV:
    """Follows the chain; answers wrong when the turn seed is divisible by 3; reports fake token ids."""

    def act(self, histories, *, tools=None, seeds=None):
        time.sleep(DELAY_S)
        turns = []
        for history, seed in zip(histories, seeds):
            text = self._turn(history, seed)
            turns.append(PolicyTurn(text=text, token_ids=tuple(range(len(text) // 8))))
        return turns

    def _turn(self, history, seed):
        last = history[-1]
        if last["role"] != "tool":
            return _call(re.search(r"key '([^']+)'", history[1]["content"]).group(1))
        found = re.search(r"= (\\S+)$", last["content"])
        if found is None:
            return "<answer>unknown</answer>"
        value = found.group(1)
        if "-" in value:
            return _call(value)
        return "<answer>nope</answer>" if seed % 3 == 0 else "<answer>%s</answer>" % value
'''


@pytest.fixture
def kv_policy(tmp_path, monkeypatch):
    """A folder holding ``kvpolicy.py`` (``SlowKV`` sleeps 50 ms per batch), importable here and in subprocesses."""
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "kvpolicy.py").write_text(POLICY_SOURCE.format(delay=0.05))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    sys.modules.pop("kvpolicy", None)
    return folder
