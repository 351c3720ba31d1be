"""``agent-gym train {sft,grpo,ppo}``: trains from a local checkpoint, writes checkpoints (or adapters) the
transformers policy loads, trains on MultiHopQA's train split with any seed, and refuses bad input (the dev
split among it) before loading any model."""

import json

import pytest

import agent_gym  # noqa: F401
from agent_gym.cli.main import main as agent_gym_main

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
    argv = [
        "train",
        algorithm,
        "--env",
        "KeyValueLookup-v0",
        "-k",
        "hops=1",
        "-k",
        'reward="process"',
        "--policy",
        str(tiny_checkpoint),
        "--steps",
        "1",
        "--episodes",
        "4",
        "--max-new-tokens",
        "4",
        "--output-dir",
        str(out),
    ]
    assert agent_gym_main(argv) == 0
    assert "done: 1 steps" in capsys.readouterr().out
    assert (out / "checkpoint-1").is_dir()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["step"] == 1
    policy = TransformersPolicy(out, max_new_tokens=4)
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=1, env_kwargs={"hops": 1})
    assert len(episodes) == 1 and episodes[0].steps


QA = ["--env", "MultiHopQA-v0", "-k", "top_k=1", "-k", 'reward="process"']
ONE_TINY_STEP = ["--steps", "1", "--episodes", "4", "--max-new-tokens", "4", "--max-turns", "2"]


@pytest.mark.parametrize(("algorithm", "seed"), [("grpo", 1), ("ppo", 3)])
def test_qa_training_with_any_seed_finishes_a_step_on_the_train_split(algorithm, seed, tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / algorithm
    argv = ["train", algorithm, *QA, "--policy", str(tiny_checkpoint), "--seed", str(seed), *ONE_TINY_STEP]
    argv += ["--output-dir", str(out)]
    assert agent_gym_main(argv) == 0
    assert "done: 1 steps" in capsys.readouterr().out
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["step"] == 1


def test_sft_writes_an_adapter_that_loads_as_a_policy(tiny_checkpoint, tmp_path, capsys):
    from agent_gym.baselines.policies.adapters import adapter_base
    from agent_gym.baselines.policies.transformers_lm import TransformersPolicy
    from agent_gym.rollout import rollout

    out = tmp_path / "sft"
    argv = [
        "train",
        "sft",
        *QA,
        "--policy",
        str(tiny_checkpoint),
        "--config",
        "cpu-smoke",
        "--set",
        "max_length=4096",
        "--output-dir",
        str(out),
    ]
    assert agent_gym_main(argv) == 0
    assert "done: 1 steps, loss" in capsys.readouterr().out
    card = json.loads((out / "card.json").read_text())
    assert (card["split"], card["episodes"], card["teacher_em"]) == ("train", 2, 1.0)
    assert 0 < card["trained_tokens"] < card["tokens"]  # the loss covers the teacher's tokens only
    assert adapter_base(out) == str(tiny_checkpoint.resolve())
    episodes = rollout("KeyValueLookup-v0", TransformersPolicy(out, max_new_tokens=4), n_episodes=1, env_kwargs={"hops": 1})
    assert episodes[0].steps


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grpo", "--env", "KeyValueLookup-v1"], "Did you mean 'KeyValueLookup-v0'"),
        (["grpo", "--env", "KeyValueLookup-v0", "--config", "gpu-agent-r1"], "needs a CUDA GPU"),
        (["ppo", "--env", "KeyValueLookup-v0", "--set", "bf16=true"], "use bf16=False"),
        (["grpo", "--env", "KeyValueLookup-v0", "--config", "tpu"], "unknown --config 'tpu'"),
        (["ppo", "--env", "KeyValueLookup-v0", "--policy", "/no/such/model"], "argument --policy: no checkpoint folder"),
        (["grpo", "--env", "KeyValueLookup-v0", "--episodes", "6"], "multiple of --generations"),
        (["grpo", "--env", "MultiHopQA-v0", "--split", "dev"], "training on the 'dev' split of MultiHopQA-v0 is refused"),
        (["sft", "--env", "MultiHopQA-v0", "-k", "split=dev"], "training on the 'dev' split of MultiHopQA-v0 is refused"),
        (["ppo", "--env", "KeyValueLookup-v0", "--split", "dev"], "has no splits"),
        (["sft", "--env", "MultiHopQA-v0", "--config", "gpu-agent-r1"], "unknown --config 'gpu-agent-r1' for sft"),
    ],
)
def test_bad_input_is_refused_with_the_fix(argv, message, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    try:
        code = agent_gym_main(["train", *argv, "--output-dir", str(tmp_path)])
    except SystemExit as exc:  # a --policy the grammar refuses is a usage error, as argparse reports them
        code = exc.code
    assert code == (2 if "--policy" in argv else 1)
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("algorithm", ["ppo"])  # GRPO from an adapter: tests/baselines/test_grpo.py (it needs varied rewards)
def test_rl_trains_on_from_an_sft_adapter_and_ships_an_adapter(algorithm, tiny_checkpoint, tmp_path, capsys):
    import torch
    from safetensors.torch import load_file

    from agent_gym.baselines.policies.adapters import adapter_base, is_adapter

    sft = tmp_path / "sft"
    argv = ["train", "sft", *QA, "--policy", str(tiny_checkpoint), "--config", "cpu-smoke", "--set", "max_length=4096"]
    assert agent_gym_main([*argv, "--output-dir", str(sft)]) == 0
    out = tmp_path / algorithm
    argv = ["train", algorithm, *QA, "--policy", str(sft), *ONE_TINY_STEP, "--lr", "0.01", "--output-dir", str(out)]
    assert agent_gym_main(argv) == 0
    assert is_adapter(out) and adapter_base(out) == str(tiny_checkpoint.resolve())  # one adapter on the same base
    before, after = load_file(sft / "adapter_model.safetensors"), load_file(out / "adapter_model.safetensors")
    assert before.keys() == after.keys() and all(v.dtype == torch.float16 for v in after.values())
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the SFT adapter trained on
    from agent_gym.baselines.checkpoints import adapter_snapshots

    kept = load_file(adapter_snapshots(out)[1] / "adapter_model.safetensors")  # step 1's adapter, for the held-out curve
    assert kept.keys() == after.keys() and all(torch.equal(kept[k].half(), after[k]) for k in kept)
