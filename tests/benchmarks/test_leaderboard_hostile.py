"""``agent-gym leaderboard`` under hostile input and on a hostile disk (issue 17).

Text that is not valid Unicode, two runs on one folder, a read-only folder, a full disk, a damaged config.json,
a directory in place of the results file, and a plan that cannot work: each gives one line with the fix and a
non-zero exit, loses nothing already stored, and a plan that cannot work is refused before any model loads.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_gym.benchmarks.leaderboard.report import TIMING_HEADING
from agent_gym.cli import leaderboard

KV = ["--datasets", "KeyValueLookup-v0", "--methods", "base-tool-call", "--limit", "4", "--no-progress"]
SLOW_KV = [*KV, "--base-policy", "kvpolicy:SlowKV"]


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _table(out: Path) -> str:
    return (out / "leaderboard.md").read_text().split(TIMING_HEADING)[0]


def _error(capsys) -> str:
    """What the command printed on stderr, which must be exactly one line."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.removeprefix("agent-gym leaderboard: ").rstrip("\n")


def test_a_lone_surrogate_in_a_policy_turn_is_stored_as_u_fffd_reported_and_the_rerun_works(tmp_path, capsys, kv_policy):
    args = [*KV, "--base-policy", "kvpolicy:SurrogateKV", "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    err = capsys.readouterr().err
    # three turns an episode, each in the messages and in its step's action
    note = (
        "24 lone surrogate(s) in the text of 4 episode(s) were replaced with U+FFFD when stored: "
        "base-tool-call/KeyValueLookup-v0/0 (6), base-tool-call/KeyValueLookup-v0/1 (6), "
        "base-tool-call/KeyValueLookup-v0/2 (6), ..."
    )
    assert f"episodes.jsonl: {note}" in err
    assert note in json.loads((tmp_path / "summary.json").read_text())["notes"]
    text = (tmp_path / "episodes.jsonl").read_bytes().decode("utf-8")  # strict UTF-8
    assert "\ufffd" in text and [json.loads(line)["replaced_surrogates"] for line in text.splitlines()] == [6, 6, 6, 6]
    table = _table(tmp_path)
    assert leaderboard.main(args) == 0  # the rerun reads everything back and plays nothing
    assert len(_lines(tmp_path / "episodes.jsonl")) == 4 and _table(tmp_path) == table
    assert note in capsys.readouterr().err


def test_a_policy_spec_that_is_not_valid_unicode_is_refused_before_anything_runs(tmp_path, capsys):
    assert leaderboard.main([*KV, "--policy", "runs/ckpt-\udcff", "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.splitlines()[-1].split("argument --policy: ")[-1] == (  # after argparse's usage
        "policy 'runs/ckpt-\\udcff' is not valid Unicode (bytes that are not UTF-8, e.g. in a folder name); "
        "rename it, or link to it under a UTF-8 name"
    )
    assert not (tmp_path / "run").exists()


def test_a_second_run_on_the_same_folder_fails_at_once_and_the_first_finishes_alone(tmp_path, capsys, kv_policy):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "agent_gym.cli.main", "leaderboard", *SLOW_KV, "--limit", "8", "--out", str(out)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        holder = _wait_for_holder(out / "run.lock", first)
        first.send_signal(signal.SIGSTOP)  # it holds the folder for as long as this test needs
        started = time.perf_counter()
        assert leaderboard.main([*SLOW_KV, "--limit", "8", "--out", str(out)]) == 1
        assert time.perf_counter() - started < 10
        assert _error(capsys) == (
            f"{out} is in use by another leaderboard run (pid {first.pid} on {holder['host']}, started "
            f"{holder['started']}); wait for it to finish, or stop it (kill {first.pid}) and run the same command again "
            "to resume, or give another --out"
        )
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=120) == 0, first.stderr.read()
    records = [json.loads(line) for line in _lines(out / "episodes.jsonl")]
    assert sorted(r["index"] for r in records) == list(range(8)), "every episode stored exactly once"


def _wait_for_holder(path: Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            holder = json.loads(path.read_text())
            if holder["pid"] == process.pid:
                return holder
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    raise AssertionError(f"the first run never took the lock: {process.poll()=}")


def test_a_read_only_results_folder_is_one_line_and_changes_nothing(tmp_path, capsys, kv_policy, monkeypatch):
    args = [*SLOW_KV, "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    capsys.readouterr()
    real = os.open

    def read_only(path, flags, *rest, **kwargs):  # what a read-only mount answers, also to root
        if str(path).startswith(str(tmp_path)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, flags, *rest, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    assert leaderboard.main(args) == 1
    assert _error(capsys) == (
        f"cannot write {tmp_path / 'run.lock'} (Read-only file system); remount it writable or give another --out; "
        "nothing stored there was changed"
    )
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def _permissions_bind(folder: Path) -> bool:
    """Whether this process is kept out of a folder without write permission (root with CAP_DAC_OVERRIDE is not)."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "file").touch()
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
    return False


def test_a_folder_without_write_permission_is_one_line_and_changes_nothing(tmp_path, capsys, kv_policy):
    if not _permissions_bind(tmp_path):
        pytest.skip("this process may write into folders without write permission (root); the test above simulates it")
    out = tmp_path / "run"
    args = [*SLOW_KV, "--out", str(out)]
    assert leaderboard.main(args) == 0
    capsys.readouterr()
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for path in [out, *out.rglob("*")]:  # chmod -R a-w
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        assert leaderboard.main(args) == 1
    finally:
        for path in [out, *out.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert _error(capsys) == (
        f"cannot write {out / 'run.lock'} (Permission denied); make {out} writable (e.g. chmod -R u+w {out}) "
        "or give another --out; nothing stored there was changed"
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def test_a_full_disk_mid_run_stops_with_one_line_keeps_every_stored_episode_and_resumes(tmp_path, capsys, kv_policy, fail_writes):
    clean, full = tmp_path / "clean", tmp_path / "full"
    assert leaderboard.main([*SLOW_KV, "--out", str(clean)]) == 0
    capsys.readouterr()
    fail_writes("episodes.jsonl", after=2)  # two episodes fit, the third fills the disk half-way through its line
    assert leaderboard.main([*SLOW_KV, "--out", str(full)]) == 1
    assert _error(capsys) == (
        f"no space left on the disk of {full / 'episodes.jsonl'}; free some space and run the same command again: "
        "it resumes, and everything stored so far is kept"
    )
    kept = _lines(full / "episodes.jsonl")
    assert len({json.loads(line)["index"] for line in kept}) == 2 and all(line.endswith(b"\n") for line in kept)
    fail_writes.undo()
    assert leaderboard.main([*SLOW_KV, "--out", str(full)]) == 0
    assert "incomplete last line" not in capsys.readouterr().err
    assert _table(full) == _table(clean) and len(_lines(full / "episodes.jsonl")) == 4


def test_a_full_disk_while_writing_the_report_keeps_the_previous_one(tmp_path, capsys, kv_policy, fail_writes):
    args = [*SLOW_KV, "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    report = (tmp_path / "leaderboard.md").read_bytes()
    capsys.readouterr()
    fail_writes(".leaderboard.md.tmp")
    assert leaderboard.main(args) == 1
    assert _error(capsys) == (
        f"no space left on the disk of {tmp_path / 'leaderboard.md'}; free some space and run the same command again: "
        "it resumes, and everything stored so far is kept"
    )
    assert (tmp_path / "leaderboard.md").read_bytes() == report and not (tmp_path / ".leaderboard.md.tmp").exists()


def test_a_damaged_config_json_is_one_line_with_the_fix_and_the_fix_works(tmp_path, capsys, kv_policy):
    args = [*SLOW_KV, "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    table, episodes = _table(tmp_path), (tmp_path / "episodes.jsonl").read_bytes()
    (tmp_path / "config.json").write_text('{"fingerprint": "')
    capsys.readouterr()
    assert leaderboard.main(args) == 1
    assert _error(capsys) == (
        f"{tmp_path / 'config.json'} is damaged (not JSON: Unterminated string starting at: line 1 column 17 (char 16)); "
        "delete it and run the same command again: it is written anew, and the episodes stored in episodes.jsonl are kept"
    )
    assert (tmp_path / "episodes.jsonl").read_bytes() == episodes
    (tmp_path / "config.json").unlink()
    assert leaderboard.main(args) == 0
    assert (tmp_path / "episodes.jsonl").read_bytes() == episodes and _table(tmp_path) == table


def test_a_directory_in_place_of_episodes_jsonl_is_one_line_and_kept(tmp_path, capsys, kv_policy):
    (tmp_path / "episodes.jsonl").mkdir(parents=True)
    (tmp_path / "episodes.jsonl" / "notes.txt").write_text("mine")
    assert leaderboard.main([*SLOW_KV, "--out", str(tmp_path)]) == 1
    path = tmp_path / "episodes.jsonl"
    assert _error(capsys) == (
        f"{path} is a directory, not a file; move it out of the way (e.g. mv {path} {path}.moved) and run the same command again"
    )
    assert (path / "notes.txt").read_text() == "mine"


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if any policy gets built (every leaderboard policy is built through ``make_policy``)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a policy was built: make_policy{args}")

    monkeypatch.setattr("agent_gym.baselines.policies.make_policy", refuse)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--datasets", "KeyValueLookup-v0", "--limit", "2"],
            "naive-rag cannot run on KeyValueLookup-v0: the env has no retriever to take passages from; "
            "leave naive-rag out (--methods base-tool-call) or choose a QA dataset (hotpotqa, 2wiki, musique)",
        ),
        (
            [*KV, "--policy-arg", "max_new_token=8"],
            "unknown policy option 'max_new_token'. Did you mean 'max_new_tokens'? Known: gguf_file, max_new_tokens, "
            "temperature, top_p, batch_size, context_window, template_tools, dtype, threads, kv_reuse, "
            "continuous_batching, kv_cache_tokens (for 'embedded'; set with --policy-arg)",
        ),
        (
            [*KV, "--policy-arg", "max_new_tokens=0"],
            "policy 'embedded': need max_new_tokens >= 1, batch_size >= 1, temperature >= 0, 0 < top_p <= 1 and "
            "kv_cache_tokens >= 0, got 0, 16, 0.0, 1.0, 65536; fix the --policy-arg values",
        ),
        (
            [*KV, "--policy-arg", "max_new_tokens=lots"],
            "policy option max_new_tokens='lots' for 'embedded': Input should be a valid integer; fix the --policy-arg value",
        ),
        (
            ["--datasets", "KeyValueLookup-v0", "--methods", "base-tool-call", "--full"],
            "KeyValueLookup-v0 has no fixed number of questions; give --limit",
        ),
    ],
)
def test_a_plan_that_cannot_work_is_refused_before_any_model_loads_or_file_is_written(args, message, tmp_path, capsys, no_model):
    assert leaderboard.main([*args, "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert _error(capsys) == message
    assert not (tmp_path / "run").exists()


def test_an_unscorable_env_is_refused_without_importing_torch(tmp_path):
    code = (
        "import sys; from agent_gym.cli import leaderboard; "
        f"rc = leaderboard.main(['--datasets', 'KeyValueLookup-v0', '--out', {str(tmp_path / 'run')!r}]); "
        "print(rc, 'torch' in sys.modules)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout == "2 False\n", done.stderr
    assert "naive-rag cannot run on KeyValueLookup-v0" in done.stderr
    assert time.perf_counter() - started < 20
