"""Leaderboard test fixtures: a deterministic key-value solver that is sometimes wrong, importable as ``kvpolicy``
(``SlowKV``; ``SurrogateKV`` also ends each turn with a lone surrogate).

It is written into a temporary folder put on ``sys.path`` (and on the ``PYTHONPATH`` of subprocesses), so the
leaderboard loads it through its ``module:attribute`` policy specs exactly as a user's own policy.
"""

import errno
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


class SurrogateKV(SlowKV):
    """SlowKV whose every turn ends with a lone surrogate, as a model whose tokens split a character can write."""

    def act(self, histories, *, tools=None, seeds=None):
        turns = super().act(histories, tools=tools, seeds=seeds)
        return [PolicyTurn(text=turn.text + " \\ud800", token_ids=turn.token_ids) for turn in turns]
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


@pytest.fixture
def fail_writes(monkeypatch):
    """``fail_writes(name)``: from now on ``os.write`` to a file called ``name`` writes half of its first chunk and
    then fails with ENOSPC (a disk that fills up mid-line); returns the sizes it was asked to write.
    ``fail_writes.undo()`` frees the disk again."""

    real = os.write

    def arm(name: str, after: int = 0) -> list[int]:
        calls: list[int] = []

        def write(fd, data):
            if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) != name:
                return real(fd, data)
            calls.append(len(data))
            if len(calls) <= after:
                return real(fd, data)
            if len(calls) == after + 1:
                return real(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", write)
        return calls

    arm.undo = lambda: monkeypatch.setattr(os, "write", real)
    return arm
