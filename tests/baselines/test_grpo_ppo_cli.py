"""``agent-gym train {grpo,ppo}``: trains from a local checkpoint, writes checkpoints the transformers policy
loads, and refuses bad input before loading any model."""

import json

import pytest

import agent_gym  # noqa: F401
from agent_gym.cli.main import main as agent_gym_main
from agent_gym.cli.train import parse_pairs

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_checkpoint(make_lm, tokenizer, tmp_path):
    folder = tmp_path / "tiny"
    make_lm(0).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("algorithm", ["ppo", "grpo"])
def test_train_writes_a_checkpoint_the_transformers_policy_plays(algorithm, tiny_checkpoint, tmp_path, capsys):
    from agent_gym.baselines.policies.transformers_lm import TransformersPolicy

    from agent_gym.rollout import rollout

    out = tmp_path / algorithm
    argv = ["train", algorithm, "--env", "KeyValueLookup-v0", "-k", "hops=1", "-k", 'reward="process"', "--policy",
            str(tiny_checkpoint), "--steps", "1", "--episodes", "4", "--max-new-tokens", "4", "--output-dir", str(out)]
    assert agent_gym_main(argv) == 0
    assert "done: 1 steps" in capsys.readouterr().out
    assert (out / "checkpoint-1").is_dir()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["step"] == 1
    policy = TransformersPolicy(out, max_new_tokens=4)
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=1, env_kwargs={"hops": 1})
    assert len(episodes) == 1 and episodes[0].steps


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grpo", "--env", "KeyValueLookup-v1"], "Did you mean 'KeyValueLookup-v0'"),
        (["grpo", "--env", "KeyValueLookup-v0", "--config", "gpu-agent-r1"], "needs a CUDA GPU"),
        (["ppo", "--env", "KeyValueLookup-v0", "--set", "bf16=true"], "use bf16=False"),
        (["grpo", "--env", "KeyValueLookup-v0", "--config", "tpu"], "unknown --config 'tpu'"),
        (["ppo", "--env", "KeyValueLookup-v0", "--policy", "/no/such/model"], "local checkpoint folder"),
        (["grpo", "--env", "KeyValueLookup-v0", "--episodes", "6"], "multiple of --generations"),
    ],
)
def test_bad_input_is_refused_with_the_fix(argv, message, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert agent_gym_main(["train", *argv, "--output-dir", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err


def test_parse_pairs_reads_json_values():
    parsed = parse_pairs(['reward={"overlong": 1}', "hops=2", "name=x"], "-k")
    assert parsed == {"reward": {"overlong": 1}, "hops": 2, "name": "x"}
