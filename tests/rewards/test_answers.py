"""Answer metrics follow the SQuAD / HotpotQA rules and take aliases into account."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_gym.rewards import answer_metrics, cover_exact_match, exact_match, f1_score, normalize_answer


@pytest.mark.parametrize(
    ("prediction", "golds", "em", "f1", "cover"),
    [
        ("The Eiffel Tower", ["Eiffel Tower"], 1.0, 1.0, 1.0),
        ("Eiffel", ["Eiffel Tower"], 0.0, 2 / 3, 0.0),
        ("it is in Paris, France", ["Paris"], 0.0, 2 * (1 / 5) / (1 / 5 + 1), 1.0),
        ("yes", ["no"], 0.0, 0.0, 0.0),
        ("no way", ["no"], 0.0, 0.0, 1.0),
        ("NYC", ["New York City", "NYC"], 1.0, 1.0, 1.0),
        ("", ["x"], 0.0, 0.0, 0.0),
    ],
)
def test_metrics(prediction, golds, em, f1, cover):
    assert answer_metrics(prediction, golds) == {"em": em, "f1": pytest.approx(f1), "cover_em": cover}


@given(text=st.text(), golds=st.lists(st.text(), max_size=3))
def test_metrics_are_in_range_and_consistent(text, golds):
    em, f1, cover = exact_match(text, golds), f1_score(text, golds), cover_exact_match(text, golds)
    assert all(0.0 <= v <= 1.0 for v in (em, f1, cover))
    if em and normalize_answer(text):
        assert cover == 1.0
