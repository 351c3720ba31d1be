"""From an empty cache and with the network unreachable, the embedded model converts itself and answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_embedded_policy_from_an_empty_cache_offline(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    dead = "http://127.0.0.1:9"  # any hub request would fail here
    env.update(AGENT_GYM_CACHE=str(tmp_path / "cache"), HF_HOME=str(tmp_path / "hf"), HTTP_PROXY=dead, HTTPS_PROXY=dead)
    out = tmp_path / "episodes.jsonl"
    command = [sys.executable, "-m", "agent_gym.cli.main", "rollout", "KeyValueLookup-v0", "--policy", "embedded"]
    command += ["-p", "max_new_tokens=8", "-k", "max_turns=1", "-n", "1", "-o", str(out), "--no-progress"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "cache" / "SmolLM2-135M-Instruct" / "model.safetensors").is_file()
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(record["steps"][0]["policy"]["token_ids"]) >= 1
