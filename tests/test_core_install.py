"""The core install is light: a fresh venv with ``pip install agent-gym`` (no extra) plays an oracle episode of
MultiHopQA-v0 and passes ``agent-gym check`` without torch, and commands that need an extra say which, in one line."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "trl", "datasets", "fastapi", "uvicorn", "matplotlib", "peft", "accelerate")


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory):
    venv = tmp_path_factory.mktemp("core") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Build from a copy: setuptools writes build/ and *.egg-info into the tree it builds.
    source = venv.parent / "source"
    ignored = shutil.ignore_patterns(".venv", ".git", "runs", "results", "build", "*.egg-info", ".hypothesis", "__pycache__")
    shutil.copytree(ROOT, source, ignore=ignored)
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt")]
    subprocess.run([*install, str(source)], check=True, timeout=900)
    return venv


def _run(venv: Path, *argv: str, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, env={**env, "PATH": f"{venv / 'bin'}:{env['PATH']}"}, **kwargs)


def test_the_core_install_has_no_heavy_package(core_venv):
    code = f"import importlib.util as u; print([m for m in {HEAVY!r} if u.find_spec(m)])"
    assert _run(core_venv, str(core_venv / "bin" / "python"), "-c", code, check=True).stdout.strip() == "[]"


def test_the_core_install_plays_an_oracle_episode_and_passes_the_checkers(core_venv, tmp_path):
    code = textwrap.dedent(
        """
        import sys, gymnasium as gym, agent_gym
        from agent_gym.baselines.policies import OraclePolicy
        from agent_gym.rollout import rollout
        (episode,) = rollout("MultiHopQA-v0", OraclePolicy(), seeds=[0])
        assert "torch" not in sys.modules
        print(episode.metrics["em"])
        """
    )
    played = _run(core_venv, str(core_venv / "bin" / "python"), "-c", code, cwd=tmp_path)
    assert played.returncode == 0, played.stderr
    assert played.stdout.strip() == "1.0"
    checked = _run(core_venv, str(core_venv / "bin" / "agent-gym"), "check", "MultiHopQA-v0", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "passed" in checked.stdout


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["train", "sft", "--env", "MultiHopQA-v0", "--output-dir", "x"], "train"),
        (["leaderboard"], "leaderboard"),
        (["serve-retriever"], "serve"),
    ],
)
def test_a_command_that_needs_an_extra_says_which_in_one_line(core_venv, tmp_path, argv, extra):
    result = _run(core_venv, str(core_venv / "bin" / "agent-gym"), *argv, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'agent-gym[{extra}]'" in lines[0], result.stderr
