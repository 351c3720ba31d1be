"""The boundary records are frozen and JSON round-trippable."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from agent_gym.types import (
    Episode,
    Message,
    ParsedTurn,
    PolicyRecord,
    ResultItem,
    StepRecord,
    ToolCall,
    ToolFailure,
    ToolOutput,
    ToolResult,
)

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
arguments = st.dictionaries(st.text(max_size=10), json_scalars, max_size=4)
calls = st.builds(ToolCall, name=st.text(min_size=1, max_size=10), arguments=arguments, id=st.text(max_size=6))


@given(call=calls, content=st.text(), items=st.lists(st.text(max_size=30), max_size=3))
def test_tool_result_round_trips(call, content, items):
    result = ToolResult(
        call=call, output=ToolOutput(content=content, items=tuple(ResultItem(text=t, meta={"i": k}) for k, t in enumerate(items)))
    )
    assert ToolResult.model_validate_json(result.model_dump_json()) == result


@given(call=calls, answer=st.none() | st.text())
def test_episode_round_trips(call, answer):
    step = StepRecord(
        turn=1,
        action="a",
        reward=0.5,
        reward_components={"outcome": 0.5},
        terminated=True,
        truncated=False,
        info={"answer": answer},
    )
    episode = Episode(env_id="X-v0", seed=3, messages=({"role": "user", "content": "q"},), steps=(step,), metrics={"em": 1.0})
    again = Episode.model_validate_json(episode.model_dump_json())
    assert again == episode and again.total_reward == 0.5 and again.terminated


def test_models_are_frozen_and_strict():
    call = ToolCall(name="x")
    with pytest.raises(ValidationError):
        call.name = "y"
    with pytest.raises(ValidationError):
        ToolFailure(kind="no_such_kind", message="")
    with pytest.raises(ValidationError):
        ToolCall(name="x", unknown_field=1)


def test_message_dict_round_trip_drops_unset_keys():
    message = Message(role="tool", content="r", tool_call_id="c1", name="search")
    assert message.to_dict() == {"role": "tool", "content": "r", "tool_call_id": "c1", "name": "search"}
    assert Message.from_dict(message.to_dict()) == message


def test_parsed_turn_well_formed():
    assert ParsedTurn(answer="x").well_formed
    assert not ParsedTurn().well_formed
    assert not ParsedTurn(answer="x", failures=(ToolFailure(kind="parse_error", message=""),)).well_formed


def test_tool_call_key_ignores_argument_order():
    assert ToolCall(name="f", arguments={"a": 1, "b": 2}).key() == ToolCall(name="f", arguments={"b": 2, "a": 1}).key()


def test_policy_records_written_inside_info_still_load():
    """Episodes written before ``StepRecord.policy`` kept the record in ``info["policy"]``: it moves out."""
    old = {"seed": 7, "token_ids": [1, 2], "logprobs": [-0.5, -0.25], "n_prompt_tokens": 9, "error": None}
    data = {"turn": 1, "action": "a", "reward": 0.0, "reward_components": {}, "terminated": True, "truncated": False}
    step = StepRecord.model_validate({**data, "info": {"answer": "x", "policy": old}})
    assert step.info == {"answer": "x"}
    assert step.policy == PolicyRecord(seed=7, token_ids=(1, 2), logprobs=(-0.5, -0.25), n_prompt_tokens=9)
    assert StepRecord.model_validate_json(step.model_dump_json()) == step


def test_an_envs_own_info_policy_is_kept():
    data = {"turn": 1, "action": "a", "reward": 0.0, "reward_components": {}, "terminated": True, "truncated": False}
    mine = StepRecord.model_validate({**data, "info": {"policy": {"seed": 1, "mode": "strict"}}})
    assert mine.info == {"policy": {"seed": 1, "mode": "strict"}} and mine.policy is None
    both = StepRecord(**data, info={"policy": "strict"}, policy=PolicyRecord(seed=3))
    again = StepRecord.model_validate_json(both.model_dump_json())
    assert again == both and again.info == {"policy": "strict"} and again.policy.seed == 3
