"""``agent-gym serve-retriever``: bad arguments fail fast with a message (serving is tested in tests/retrieval)."""

import pytest

from agent_gym.cli.main import main


def test_a_missing_corpus_file_is_reported(tmp_path, capsys):
    assert main(["serve-retriever", "--corpus", str(tmp_path / "wiki.jsonl")]) == 2
    assert "wiki.jsonl: no such file" in capsys.readouterr().err


def test_an_unknown_dataset_is_reported(capsys):
    assert main(["serve-retriever", "--dataset", "hotpot-qa"]) == 2
    assert "unknown dataset 'hotpot-qa'" in capsys.readouterr().err


def test_help_lists_the_loopback_default(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve-retriever", "--help"])
    assert exit_.value.code == 0 and "default 127.0.0.1" in capsys.readouterr().out
