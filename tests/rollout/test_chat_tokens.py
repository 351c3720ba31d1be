"""The prompt-truncation rule and the chat-template delta."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent_gym.rollout import truncate_prompt
from agent_gym.rollout.chat_tokens import opening_length


@given(n=st.integers(0, 300), budget=st.integers(-5, 200), keep_head=st.integers(0, 300))
def test_truncation_keeps_the_opening_head_and_the_latest_tokens(n, budget, keep_head):
    ids = tuple(range(n))
    out = truncate_prompt(ids, budget, keep_head)
    if n <= max(budget, 1):
        assert out == ids
        return
    head = min(keep_head, max(budget, 1) // 2)
    assert len(out) == max(budget, 1)
    assert out[:head] == ids[:head]
    assert out[head:] == ids[n - (len(out) - head) :]


def test_the_opening_ends_at_the_first_assistant_turn():
    assert opening_length([{"role": "system"}, {"role": "user"}]) == 2
    assert opening_length([{"role": "user"}, {"role": "assistant"}, {"role": "user"}]) == 1


def test_env_delta_is_the_template_text_between_the_turn_and_the_next_generation_prompt(smol_chat):
    before = ({"role": "system", "content": "S"}, {"role": "user", "content": "Q"})
    generated = smol_chat.encode("hi<|im_end|>")
    after = (*before, {"role": "assistant", "content": "hi"}, {"role": "tool", "content": "r", "name": "lookup"})
    delta = smol_chat.env_delta(before, generated, after, generation_prompt=True)
    assert delta.exact
    assert smol_chat.decode(delta.ids) == "\n<|im_start|>tool\nr<|im_end|>\n<|im_start|>assistant\n"
    # a turn cut by the token budget: the env's tokens close the assistant message
    cut = smol_chat.env_delta(before, smol_chat.encode("hi"), after, generation_prompt=False)
    assert cut.exact and smol_chat.decode(cut.ids) == "<|im_end|>\n<|im_start|>tool\nr<|im_end|>\n"
    # the env stored a shorter turn than was generated: a documented exception
    cut_by_env = smol_chat.env_delta(before, smol_chat.encode("hi there<|im_end|>"), after, generation_prompt=True)
    assert not cut_by_env.exact
    assert smol_chat.decode(cut_by_env.ids) == "<|im_start|>tool\nr<|im_end|>\n<|im_start|>assistant\n"
