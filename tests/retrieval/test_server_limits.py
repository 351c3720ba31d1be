"""Server limits from the command line: out-of-range values are refused with the flag's name, before the slow part."""

from agent_gym.cli.main import main


def test_bad_limits_are_refused_by_flag_before_the_corpus_is_read(tmp_path, capsys):
    missing = str(tmp_path / "wiki.jsonl")  # never opened: the limits are checked first
    assert main(["serve-retriever", "--corpus", missing, "--body-timeout-s", "0", "--max-k", "0"]) == 2
    assert capsys.readouterr().err == (
        "agent-gym serve-retriever: --max-k: Input should be greater than or equal to 1; "
        "--body-timeout-s: Input should be greater than 0\n"
    )


def test_help_shows_the_timeouts_and_the_docs_switch(capsys):
    try:
        main(["serve-retriever", "--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "seconds a connection may take to send a request head (default 10)" in out
    assert "seconds a request may take to send its body (408 after) (default 10)" in out
    assert "seconds an idle connection is kept open (default 5)" in out
    assert "serve /docs, /redoc and /openapi.json (off by default)" in out
