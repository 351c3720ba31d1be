"""The multi-hop QA envs: offline reset/step, deterministic episodes, checkers, bad input, corpus modes."""

import json
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import given
from hypothesis import strategies as st

import agent_gym  # noqa: F401  (registers the envs)
from agent_gym.envs.qa import MultiHopQAEnv, load_bundled
from agent_gym.errors import ConfigError
from agent_gym.utils import check_env

QA_IDS = [f"{name}{noisy}-v0" for name in ("MultiHopQA", "HotpotQA", "TwoWikiMultihopQA", "MuSiQue") for noisy in ("", "Noisy")]


def search(query):
    return f"<tool_call>{json.dumps({'name': 'search', 'arguments': {'query': query}})}</tool_call>"


def test_make_reset_and_step_offline():
    env = gym.make("MultiHopQA-v0")
    obs, info = env.reset(seed=0)
    assert [m["role"] for m in obs] == ["system", "user"] and obs[1]["content"] == f"Question: {info['question']}"
    assert {"question", "answers", "supporting_titles", "dataset", "question_id"} <= set(info)
    assert info["dataset"] in ("hotpotqa", "2wikimultihopqa", "musique") and info["answers"]
    obs, reward, terminated, truncated, step = env.step(search(info["supporting_titles"][0]))
    assert obs[-1]["role"] == "tool" and obs[-1]["content"].startswith("[1] ")
    assert len(step["tool_results"][0]["items"]) == 5 and not terminated and not truncated
    obs, reward, terminated, truncated, step = env.step(f"<answer>{info['answers'][0]}</answer>")
    assert terminated and reward == 1.0 and step["metrics"] == {"em": 1.0, "f1": 1.0, "cover_em": 1.0}
    json.dumps(step)


def test_index_option_walks_the_dataset_in_order():
    env = gym.make("MuSiQue-v0").unwrapped
    records = load_bundled("musique", "dev")
    assert env.num_questions == len(records) == 292
    for i in (0, 7, 291):
        _, info = env.reset(options={"index": i})
        assert (info["question_id"], info["question"], info["index"]) == (records[i].id, records[i].question, i)
    for bad in (292, -1, "3", True):
        with pytest.raises(ConfigError, match=r"options\['index'\] must be an int in \[0, 292\)"):
            env.reset(options={"index": bad})


def test_mixed_env_selects_datasets_and_splits():
    env = gym.make("MultiHopQA-v0", dataset=["musique", "2wiki"], split="train").unwrapped
    assert env.num_questions == 600 and env.datasets == ("musique", "2wikimultihopqa")
    _, info = env.reset(options={"index": 100})
    assert info["dataset"] == "2wikimultihopqa" and info["split"] == "train"
    with pytest.raises(ConfigError, match="Did you mean 'musique'"):
        gym.make("MultiHopQA-v0", dataset="musiqe")
    with pytest.raises(ConfigError, match="'validation' is called 'dev' here"):
        gym.make("MultiHopQA-v0", split="validation")


def _transcript(env, seed, actions):
    obs, info = env.reset(seed=seed)
    out = [json.dumps([obs, info], sort_keys=True)]
    for action in actions:
        out.append(json.dumps(env.step(action), sort_keys=True))
    return out


def test_same_seed_same_episode_with_noise_on():
    env = gym.make("MultiHopQA-v0", noise="heavy", reward="process")
    actions = [search("American film director"), search("capital city"), search("American film director"), "<answer>x</answer>"]
    first, second = _transcript(env, 3, actions), _transcript(env, 3, actions)
    assert first == second
    assert any('"noise": ["' in step for step in first)  # the noise model acted
    assert _transcript(env, 4, actions) != first


@pytest.mark.parametrize("env_id", QA_IDS)
def test_both_checkers_pass(env_id):
    check_env(gym.make(env_id, noise="heavy", reward="process"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gymnasium_check_env(gym.make(env_id).unwrapped, skip_render_check=True)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"query": "   "}, "the query is empty"),
        ({"query": "x" * 1001}, "the query has 1001 characters; the limit is 1000"),
        ({"query": 42}, "argument 'query' must be string, got int"),
        ({"q": "Ed Wood"}, "missing required argument(s): query"),
    ],
)
def test_bad_queries_are_invalid_arguments_and_the_episode_goes_on(arguments, message):
    env = gym.make("HotpotQA-v0", reward="process")
    env.reset(seed=0)
    action = f"<tool_call>{json.dumps({'name': 'search', 'arguments': arguments})}</tool_call>"
    obs, reward, terminated, truncated, info = env.step(action)
    (failure,) = info["errors"]
    assert failure["kind"] == "invalid_arguments" and message in failure["message"]
    assert info["reward_components"]["invalid_call"] == -0.1 and not terminated
    assert env.step(search("Ed Wood"))[4]["tool_results"][0]["ok"]


@given(st.text(max_size=400))
def test_no_query_text_breaks_a_step(query):
    env = _HYPOTHESIS_ENV
    env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(search(query))
    json.dumps(info)
    assert obs[-1]["role"] == "tool" and -10 < reward < 10


_HYPOTHESIS_ENV = gym.make("MuSiQue-v0", reward="process", noise="light")


def test_question_corpus_searches_only_that_questions_paragraphs():
    env = gym.make("HotpotQA-v0", corpus="question").unwrapped
    _, info = env.reset(options={"index": 0})
    own = {p.title for p in load_bundled("hotpotqa", "dev")[0].paragraphs}
    _, _, _, _, step = env.step(search("American film director screenwriter"))
    titles = [item["title"] for item in step["tool_results"][0]["items"]]
    assert titles and set(titles) <= own and "Scott Derrickson" in titles
    found = {p.title for p in env.active_retriever.search("Ed Wood", 20)}
    assert env.retriever is None and "Ed Wood" in found and found <= own
    with pytest.raises(ConfigError, match="needs retriever='bm25'"):
        MultiHopQAEnv(dataset="hotpotqa", corpus="question", retriever="lucene")


def test_a_user_corpus_file_matches_supporting_paragraphs_by_title(tmp_path):
    record = load_bundled("hotpotqa", "dev")[0]
    lines = [{"id": f"wiki-{i}", "title": p.title, "text": p.text} for i, p in enumerate(record.paragraphs)]
    lines.append({"id": "wiki-x", "title": "Unrelated", "text": "Nothing about film here."})
    path = tmp_path / "wiki.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = gym.make("HotpotQA-v0", corpus=str(path), reward="process").unwrapped
    _, info = env.reset(options={"index": 0})
    _, reward, _, _, step = env.step(search("Scott Derrickson"))
    gold = next(f"wiki-{i}" for i, p in enumerate(record.paragraphs) if p.title == "Scott Derrickson")
    assert step["tool_results"][0]["items"][0]["id"] == gold
    assert step["retrieval_hits"] == 1 and step["supporting_total"] == 2
    assert step["reward_components"]["retrieval_hit"] == pytest.approx(0.1)


def test_uniform_jsonl_data_replaces_the_bundled_records(tmp_path):
    from agent_gym.data import write_jsonl

    path = write_jsonl(load_bundled("musique", "train")[:3], tmp_path / "mine.jsonl")
    env = gym.make("MultiHopQA-v0", data=str(path)).unwrapped
    assert env.num_questions == 3
    _, info = env.reset(options={"index": 2})
    assert info["question_id"] == load_bundled("musique", "train")[2].id and info["dataset"] == "custom"


def test_records_from_the_loaders_are_data_too():
    records = load_bundled("musique", "train")[:3]  # what load_raw / load_hf return: a list of QARecord
    env = gym.make("MultiHopQA-v0", data=records).unwrapped
    assert env.num_questions == 3
    _, info = env.reset(options={"index": 1})
    assert info["question_id"] == records[1].id and info["dataset"] == "custom"
    assert env.step(search(records[1].paragraphs[0].title))[4]["tool_results"][0]["ok"]


def test_records_without_paragraphs_point_at_corpus(tmp_path):
    bare = [r.model_copy(update={"paragraphs": ()}) for r in load_bundled("hotpotqa", "dev")[:2]]
    with pytest.raises(ConfigError, match=r"these records have no paragraphs.*corpus='passages.jsonl'"):
        gym.make("HotpotQA-v0", data=bare)
    with pytest.raises(ConfigError, match=r"record '.*' has none; use corpus='passages.jsonl'"):
        gym.make("HotpotQA-v0", data=bare, corpus="question")
    passages = tmp_path / "passages.jsonl"
    paragraphs = load_bundled("hotpotqa", "dev")[0].paragraphs
    lines = [json.dumps({"id": f"p{i}", "title": p.title, "text": p.text}) for i, p in enumerate(paragraphs)]
    passages.write_text("\n".join(lines) + "\n")
    env = gym.make("HotpotQA-v0", data=bare, corpus=str(passages), reward="process")
    env.reset(options={"index": 0})
    assert env.step(search("Ed Wood"))[4]["retrieval_hits"] == 1


def test_noisy_variant_drops_shuffles_truncates_and_fails_searches():
    env = gym.make("MultiHopQANoisy-v0", max_turns=200)
    env.reset(seed=0)
    effects = set()
    for i in range(150):
        step = env.step(search(f"American film {i}"))[4]
        result = step["tool_results"][0]
        effects.update(effect.split(":")[0] for effect in result["noise"])
        if result["failure"]:
            assert result["failure"]["kind"] == "unavailable"
    assert effects == {"dropped", "shuffled", "truncated", "failed"}


def test_records_with_only_supporting_fact_titles_are_matched_by_title(tmp_path):
    from agent_gym.data import write_jsonl

    record = load_bundled("hotpotqa", "dev")[0]
    paragraphs = tuple(p.model_copy(update={"is_supporting": False}) for p in record.paragraphs)
    unflagged = record.model_copy(update={"paragraphs": paragraphs})
    env = gym.make("HotpotQA-v0", data=str(write_jsonl([unflagged], tmp_path / "r.jsonl")), reward="process").unwrapped
    _, info = env.reset(options={"index": 0})
    assert info["supporting_ids"] == [] and info["supporting_titles"] == ["Scott Derrickson", "Ed Wood"]
    step = env.step(search("Ed Wood"))[4]
    assert step["retrieval_hits"] == 1 and step["reward_components"]["retrieval_hit"] == pytest.approx(0.1)


@pytest.mark.parametrize("tool_format", ["hermes", "openai", "search_r1", "react"])
def test_every_tool_format_can_search_and_answer(tool_format):
    from agent_gym.types import ToolCall

    env = gym.make("HotpotQA-v0", tool_format=tool_format, reward="process").unwrapped
    _, info = env.reset(options={"index": 0})
    turn = env.format.render_turn(calls=[ToolCall(name="search", arguments={"query": "Scott Derrickson"})])
    _, _, _, _, step = env.step(turn)
    assert step["errors"] == [] and step["tool_results"][0]["ok"] and step["retrieval_hits"] == 1
    _, reward, terminated, _, step = env.step(env.format.render_turn(answer="yes"))
    assert terminated and step["metrics"]["em"] == 1.0 and step["reward_components"]["outcome"] == 1.0
