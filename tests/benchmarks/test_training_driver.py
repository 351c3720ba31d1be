"""The training pipeline's driver (`make reproduce-training`): its commands, held-out curves and `--curves`."""

import json

import pytest

from agent_gym.benchmarks import training
from agent_gym.cli.train import _parser as train_parser


def _snapshots(run, steps):
    for step in steps:
        folder = run / "adapters" / f"step-{step}"
        folder.mkdir(parents=True)
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            (folder / name).write_text("{}")


def _fake_scores(calls):
    def score(policy, episodes):
        calls.append(policy)
        return {"em": 0.5, "return": float(len(calls)), "turns": 2.0, "episodes": float(episodes)}

    return score


def test_every_run_command_is_a_train_command_on_the_train_split_from_the_shared_sft(tmp_path):
    commands = training.run_commands(tmp_path, seed=3)
    (tmp_path / "sft").mkdir()  # the RL runs start from the SFT run's adapter, which --policy checks exists
    (tmp_path / "sft" / "adapter_config.json").write_text("{}")
    parsed = {name: train_parser().parse_args(argv) for name, argv in commands.items()}
    assert [p.algorithm for p in parsed.values()] == ["sft", "grpo", "ppo"]
    assert {(p.env, p.holdout) for p in parsed.values()} == {("MultiHopQA-v0", training.HOLDOUT)}  # one held-out slice
    assert parsed["sft"].seed == 0  # one SFT start for every RL seed
    for name in ("grpo", "ppo"):
        assert parsed[name].policy.target == str(tmp_path / "sft") and parsed[name].seed == 3
        assert parsed[name].output_dir.endswith(f"{name}-seed3")
    assert not any(p.allow_dev_split for p in parsed.values())
    assert {p.split for p in parsed.values()} == {None}  # the train CLI's default: the train split


def test_a_held_out_curve_scores_every_nth_kept_step_and_the_last_once(tmp_path, monkeypatch):
    run = tmp_path / "grpo-seed0"
    _snapshots(run, [1, 2, 3, 4, 5])
    calls = []
    monkeypatch.setattr(training, "held_out_scores", _fake_scores(calls))
    start = {"em": 0.25}
    curve = training.held_out_curve(run, start, every=2, episodes=8)
    assert list(curve) == [0, 2, 4, 5] and curve[0] is start
    assert calls == [str(run / "adapters" / f"step-{s}") for s in (2, 4, 5)]
    assert training.held_out_curve(run, start, every=2, episodes=8) == curve  # cached in held_out_curve.json
    assert len(calls) == 3
    training.held_out_curve(run, start, every=2, episodes=16)  # another slice size is scored again
    assert len(calls) == 6 and json.loads((run / "held_out_curve.json").read_text())["5"]["episodes"] == 16.0


def test_curves_scores_the_given_runs_from_the_sft_start_and_trains_nothing(tmp_path, monkeypatch, capsys):
    experiment = tmp_path / "exp" / "ppo-lr5e-4"
    _snapshots(experiment, [2])
    calls = []
    monkeypatch.setattr(training, "held_out_scores", _fake_scores(calls))

    def no_training(*args):
        raise AssertionError("--curves must not train")

    monkeypatch.setattr(training, "_train", no_training)
    assert training.main(["--out", str(tmp_path / "train"), "--curves", str(experiment), "--evaluate", "4"]) == 0
    assert calls == [str(tmp_path / "train" / "sft"), str(experiment / "adapters" / "step-2")]
    printed = capsys.readouterr().out
    assert f"{experiment}: step 0: em 0.500 return 1.000" in printed and "step 2: em 0.500 return 2.000" in printed


def test_curves_refuses_a_folder_that_is_not_an_rl_run_before_scoring_anything(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(training, "held_out_scores", _fake_scores(calls))
    with pytest.raises(SystemExit, match="no adapter snapshots"):
        training.main(["--out", str(tmp_path), "--curves", str(tmp_path / "typo")])
    assert calls == []


def test_search_behaviour_counts_second_searches_distinct_queries_and_recall():
    import agent_gym  # noqa: F401  (registers the envs)
    from agent_gym.baselines.policies.teacher import TwoHopTeacher
    from agent_gym.rollout import RolloutEngine
    from agent_gym.rollout.tasks import TaskPlan
    from agent_gym.testing import ScriptedPolicy

    plan = TaskPlan.for_env("MultiHopQA-v0", {"top_k": 3, "max_turns": 5}, holdout=32)
    tasks = plan.holdout_tasks()[:4]
    options = [plan.ref(t).reset_options() for t in tasks]
    call = '<tool_call>{"name": "search", "arguments": {"query": "the same words"}}</tool_call>'
    repeats = RolloutEngine(plan.make_env, ScriptedPolicy([call, call, "<answer>x</answer>"])).run(range(4), options=options)
    assert training.search_behaviour(repeats)["second_search"] == 1.0
    assert training.search_behaviour(repeats)["distinct_second"] == 0.0  # the same query twice is no second hop
    once = RolloutEngine(plan.make_env, ScriptedPolicy(["<answer>x</answer>"])).run(range(4), options=options)
    assert training.search_behaviour(once) == {"second_search": 0.0, "distinct_second": 0.0, "recall": 0.0}
    taught = RolloutEngine(plan.make_env, TwoHopTeacher()).run(range(4), options=options)
    behaviour = training.search_behaviour(taught)
    expected = [e.steps[-1].info["retrieval_hits"] / e.steps[-1].info["supporting_total"] for e in taught]
    assert behaviour["recall"] == pytest.approx(sum(expected) / 4) and behaviour["recall"] > 0
