"""Answer metrics: SQuAD-style normalisation, exact match, token F1 and cover-EM, over aliases."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable

__all__ = ["answer_metrics", "cover_exact_match", "exact_match", "f1_score", "normalize_answer"]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, collapse whitespace (the SQuAD / HotpotQA rule).

    Example:
        >>> normalize_answer("The  Eiffel Tower!")
        'eiffel tower'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 if the normalised prediction equals a normalised gold answer.

    Example:
        >>> exact_match("the Beatles", ["Beatles"])
        1.0
    """
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in golds))


def cover_exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 if a normalised gold answer appears, on word boundaries, inside the normalised prediction.

    This is what Agent-R1's QA code logs as its accuracy.

    Example:
        >>> cover_exact_match("It was the Beatles, I think", ["beatles"])
        1.0
        >>> cover_exact_match("Beatlesque", ["beatles"])
        0.0
    """
    pred = f" {normalize_answer(prediction)} "
    return float(any(normalize_answer(g) and f" {normalize_answer(g)} " in pred for g in golds))


def f1_score(prediction: str, golds: Iterable[str]) -> float:
    """Best token-level F1 of the prediction against any gold answer.

    Example:
        >>> round(f1_score("Eiffel Tower in Paris", ["Eiffel Tower"]), 3)
        0.667
    """
    best = 0.0
    pred_tokens = normalize_answer(prediction).split()
    for gold in golds:
        gold_tokens = normalize_answer(gold).split()
        # yes/no/noanswer must match exactly (the official HotpotQA rule)
        if {" ".join(pred_tokens), " ".join(gold_tokens)} & {"yes", "no", "noanswer"} and pred_tokens != gold_tokens:
            continue
        common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
        if common == 0:
            continue
        precision, recall = common / len(pred_tokens), common / len(gold_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def answer_metrics(prediction: str, golds: Iterable[str]) -> dict[str, float]:
    """``{"em", "f1", "cover_em"}`` of a prediction against gold answers (answer plus aliases).

    Example:
        >>> answer_metrics("Paris", ["Paris", "Paris, France"])
        {'em': 1.0, 'f1': 1.0, 'cover_em': 1.0}
    """
    golds = list(golds)
    return {
        "em": exact_match(prediction, golds),
        "f1": f1_score(prediction, golds),
        "cover_em": cover_exact_match(prediction, golds),
    }
