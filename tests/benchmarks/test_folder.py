"""The run folder: one run at a time (a killed one never blocks), atomic writes, damaged files named with the fix."""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from agent_gym.benchmarks.leaderboard.folder import FolderLock, LockHolder, disk_error, pin_config, write_atomic
from agent_gym.errors import ConfigError, ResultsError

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agent_gym.benchmarks.leaderboard.folder import FolderLock
    FolderLock.acquire(Path(sys.argv[1]))
    print("locked", flush=True)
    time.sleep(120)
    """
)


def _busy(folder) -> str:
    holder = LockHolder.model_validate_json((folder / "run.lock").read_text())
    return (
        f"{folder} is in use by another leaderboard run (pid {holder.pid} on {holder.host}, started {holder.started}); "
        f"wait for it to finish, or stop it (kill {holder.pid}) and run the same command again to resume, or give another --out"
    )


def test_a_second_lock_on_the_folder_fails_at_once_naming_the_holder(tmp_path):
    first = FolderLock.acquire(tmp_path / "run")
    holder = LockHolder.model_validate_json((tmp_path / "run" / "run.lock").read_text())
    assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
    with pytest.raises(ResultsError) as caught:
        FolderLock.acquire(tmp_path / "run")  # another open file description: flock conflicts even in one process
    assert str(caught.value) == _busy(tmp_path / "run")
    first.release()
    FolderLock.acquire(tmp_path / "run").release()
    assert (tmp_path / "run" / "run.lock").exists(), "the lock file is never deleted"


def test_a_lock_held_by_a_process_killed_with_sigkill_does_not_block_the_next_run(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "locked\n"
        with pytest.raises(ResultsError) as caught:
            FolderLock.acquire(tmp_path)
        assert str(caught.value) == _busy(tmp_path) and f"(pid {process.pid} on " in str(caught.value)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    lock = FolderLock.acquire(tmp_path)
    assert LockHolder.model_validate_json((tmp_path / "run.lock").read_text()).pid == os.getpid()
    lock.release()


def test_a_lock_file_without_a_holder_yet_is_reported_as_such(tmp_path):
    lock = FolderLock.acquire(tmp_path)
    (tmp_path / "run.lock").write_text("")  # the holder took the lock but has not written its pid yet
    with pytest.raises(ResultsError, match=r"in use by another leaderboard run \(it has not written its pid yet\); wait"):
        FolderLock.acquire(tmp_path)
    lock.release()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            errno.ENOSPC,
            "no space left on the disk of out/f.json; free some space and run the same command again: it resumes, "
            "and everything stored so far is kept",
        ),
        (
            errno.EACCES,
            "cannot write out/f.json (Permission denied); make out writable (e.g. chmod -R u+w out) or give another --out; "
            "nothing stored there was changed",
        ),
        (
            errno.EROFS,
            "cannot write out/f.json (Read-only file system); remount it writable or give another --out; "
            "nothing stored there was changed",
        ),
        (
            errno.EISDIR,
            "out/f.json is a directory, not a file; move it out of the way (e.g. mv out/f.json out/f.json.moved) "
            "and run the same command again",
        ),
        (errno.EIO, "cannot use out/f.json (Input/output error); fix that and run the same command again: it resumes"),
    ],
)
def test_disk_errors_are_one_line_with_the_fix(code, message, tmp_path):
    from pathlib import Path

    assert str(disk_error(OSError(code, os.strerror(code)), Path("out/f.json"))) == message


def test_a_full_disk_while_replacing_a_file_keeps_the_old_version_and_no_temporary(tmp_path, fail_writes):
    path = tmp_path / "leaderboard.md"
    write_atomic(path, "old\n")
    calls = fail_writes(".leaderboard.md.tmp")
    with pytest.raises(ResultsError, match=rf"^no space left on the disk of {path}; "):
        write_atomic(path, "new " * 1000)
    assert calls and path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaderboard.md"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"fingerprint": "abc', "not JSON: Unterminated string starting at: line 1 column 17 (char 16)"),
        (b"", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[1, 2]", "no run fingerprint in it"),
        (b'{"config": {}}', "no run fingerprint in it"),
        (b"\xff\xfe{", "not JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ],
)
def test_a_damaged_config_is_named_with_the_fix_and_left_as_it_is(tmp_path, content, problem):
    (tmp_path / "config.json").write_bytes(content)
    with pytest.raises(ResultsError) as caught:
        pin_config(tmp_path, "f1", {"seed": 0}, {"python": "3"})
    assert str(caught.value) == (
        f"{tmp_path / 'config.json'} is damaged ({problem}); delete it and run the same command again: it is written "
        "anew, and the episodes stored in episodes.jsonl are kept"
    )
    assert (tmp_path / "config.json").read_bytes() == content


def test_the_config_is_pinned_once_and_another_run_refused(tmp_path, capsys):
    assert pin_config(tmp_path, "f1", {"seed": 0}, {"python": "3"}) == {"python": "3"}
    assert json.loads((tmp_path / "config.json").read_text())["fingerprint"] == "f1"
    assert pin_config(tmp_path, "f1", {"seed": 0}, {"python": "4"}) == {"python": "3"}  # the first run's versions
    assert "package versions differ" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="holds run f1 with another config; use another --out folder"):
        pin_config(tmp_path, "f2", {"seed": 1}, {"python": "3"})
    (tmp_path / "config.json").unlink()
    (tmp_path / "config.json").mkdir()
    with pytest.raises(ResultsError, match=r"config.json is a directory, not a file; move it out of the way"):
        pin_config(tmp_path, "f1", {"seed": 0}, {"python": "3"})
