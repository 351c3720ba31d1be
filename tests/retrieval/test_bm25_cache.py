"""The bm25 index cache under damage: every bad entry is reported as what it is and rebuilt, killed builds are swept."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from agent_gym.retrieval import BM25Retriever, Corpus, Passage
from agent_gym.retrieval import bm25 as bm25_module
from agent_gym.retrieval import cache as cache_module
from agent_gym.retrieval.cache import STALE_AFTER_S, cached_directory, verify_directory
from agent_gym.utils.lru import LRUCache

PASSAGES = [
    Passage(id="derrickson", title="Scott Derrickson", text="Scott Derrickson is an American director and producer."),
    Passage(id="wood", title="Ed Wood", text="Edward Davis Wood Jr. was an American filmmaker, actor and author."),
    Passage(id="paris", title="Paris", text="Paris is the capital and most populous city of France."),
    Passage(id="twin-a", title="Twin", text="identical twin passage"),
    Passage(id="twin-b", title="Twin", text="identical twin passage"),
]
QUERY = "American director in Paris"


@pytest.fixture()
def corpus():
    return Corpus(PASSAGES, name="tiny")


@pytest.fixture()
def fresh(monkeypatch, tmp_path):
    """An empty cache root and no index shared in the process."""
    monkeypatch.setattr(bm25_module, "_SHARED", LRUCache(8))
    monkeypatch.setenv("AGENT_GYM_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def built_entry(corpus, fresh):
    """Build the corpus's index, forget it in the process and return its cache entry and its answer to QUERY."""
    expected = BM25Retriever(corpus).search(QUERY, 5)
    bm25_module._SHARED.clear()
    (entry,) = (fresh / "bm25").iterdir()
    return entry, expected


def rewrite_manifest(entry, **changes):
    """What a tool regenerating the manifest would write: checksums of the files as they are now."""
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(entry.iterdir()) if p.name != "manifest.json"}
    manifest = {**json.loads((entry / "manifest.json").read_text()), "files": files, **changes}
    (entry / "manifest.json").write_text(json.dumps(manifest))


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def assert_repaired(corpus, entry, expected, caplog, problem):
    with caplog.at_level(logging.WARNING):
        rebuilt = BM25Retriever(corpus)
    assert warnings_of(caplog) == [f"index cache entry {entry} {problem}; rebuilding it"]
    assert rebuilt.load_info["source"] == "built" and rebuilt.search(QUERY, 5) == expected
    assert verify_directory(entry, corpus.content_hash)
    bm25_module._SHARED.clear()  # the repaired entry serves the next process
    assert BM25Retriever(corpus).load_info["source"] == "disk"


def test_a_file_where_the_entry_folder_should_be_is_replaced_by_the_index(corpus, fresh, caplog):
    entry, expected = built_entry(corpus, fresh)
    shutil.rmtree(entry)
    entry.write_text("not an index")
    assert_repaired(corpus, entry, expected, caplog, "is a file, not a folder")


def damage_data(entry):
    target = entry / "data.csc.index.npy"
    target.write_bytes(target.read_bytes()[:20])


def damage_manifest_json(entry):
    (entry / "manifest.json").write_text("{not json")


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (damage_data, "has a file that does not match its checksum ('data.csc.index.npy')"),
        (lambda entry: (entry / "vocab.index.json").unlink(), "lacks the file 'vocab.index.json'"),
        (lambda entry: (entry / "stray.txt").write_text("x"), "has a file its manifest does not list ('stray.txt')"),
        (
            lambda entry: (entry / "manifest.json").unlink(),
            "has no manifest.json (its build was interrupted or it was written by hand)",
        ),
        (
            damage_manifest_json,
            "has an unreadable manifest.json (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            lambda entry: rewrite_manifest(entry, key="0" * 24),
            "has the manifest.json of another entry (key '000000000000000000000000')",
        ),
    ],
    ids=["changed-file", "missing-file", "unlisted-file", "no-manifest", "unreadable-manifest", "manifest-of-another-key"],
)
def test_a_damaged_entry_is_rebuilt_with_a_warning_that_names_the_damage(corpus, fresh, caplog, damage, problem):
    entry, expected = built_entry(corpus, fresh)
    damage(entry)
    assert_repaired(corpus, entry, expected, caplog, problem)


def test_a_manifest_of_another_corpus_or_without_a_fingerprint_is_not_trusted(corpus, fresh, caplog):
    entry, expected = built_entry(corpus, fresh)
    rewrite_manifest(entry, corpus="f" * 8)
    assert_repaired(
        corpus,
        entry,
        expected,
        caplog,
        f"was built from another corpus (fingerprint 'ffffffff', expected {corpus.content_hash!r})",
    )
    caplog.clear()
    bm25_module._SHARED.clear()
    manifest = json.loads((entry / "manifest.json").read_text())
    del manifest["corpus"]
    (entry / "manifest.json").write_text(json.dumps(manifest))
    assert_repaired(
        corpus, entry, expected, caplog, "has a manifest.json without a corpus fingerprint (written by an older agent-gym)"
    )


def swap_two_terms(entry):
    vocab = json.loads((entry / "vocab.index.json").read_text())
    vocab["derrickson"], vocab["pari"] = vocab["pari"], vocab["derrickson"]
    (entry / "vocab.index.json").write_text(json.dumps(vocab))


def change_k1(entry):
    params = json.loads((entry / "params.index.json").read_text())
    (entry / "params.index.json").write_text(json.dumps({**params, "k1": 1.2}))


def poison_a_score(entry):
    data = np.load(entry / "data.csc.index.npy")
    data[0] = np.nan
    np.save(entry / "data.csc.index.npy", data)


def drop_a_term(entry):
    indptr = np.load(entry / "indptr.csc.index.npy")
    np.save(entry / "indptr.csc.index.npy", indptr[:-1])


@pytest.mark.parametrize(
    ("alter", "problem"),
    [
        (swap_two_terms, "does not index passage 0 ('derrickson') as the corpus has it"),
        (change_k1, "was built with k1=1.2, b=0.4, method='lucene'"),
        (poison_a_score, "has scores that are not positive finite numbers"),
        (drop_a_term, "has an inconsistent term index"),
    ],
    ids=["swapped-terms", "other-k1", "nan-score", "dropped-term"],
)
def test_a_manifest_rewritten_to_match_altered_files_is_caught_by_the_corpus_check(corpus, fresh, caplog, alter, problem):
    entry, expected = built_entry(corpus, fresh)
    alter(entry)
    rewrite_manifest(entry)
    assert verify_directory(entry, corpus.content_hash)  # the checksums alone now vouch for the altered files
    assert_repaired(corpus, entry, expected, caplog, problem)


def test_the_index_of_another_corpus_of_the_same_size_under_a_rewritten_manifest_is_caught(corpus, fresh, caplog):
    entry, expected = built_entry(corpus, fresh)
    other = Corpus([p.model_copy(update={"text": p.text.replace("American", "Belgian")}) for p in PASSAGES], name="other")
    BM25Retriever(other)
    bm25_module._SHARED.clear()
    other_entry = next(p for p in (fresh / "bm25").iterdir() if p != entry)
    for path in other_entry.iterdir():
        if path.name != "manifest.json":
            shutil.copyfile(path, entry / path.name)
    rewrite_manifest(entry)
    assert_repaired(corpus, entry, expected, caplog, "does not index passage 0 ('derrickson') as the corpus has it")


KILLED_BUILD = """
import sys, time
from pathlib import Path
from agent_gym.retrieval.cache import cached_directory

def build(directory):
    (directory / "half-written.npy").write_bytes(b"x" * 1000)
    print("building", flush=True)
    time.sleep(60)

cached_directory("bm25", "ab" * 12, build, root=Path(sys.argv[1]))
"""


@pytest.mark.timeout(60)
def test_the_temp_folder_of_a_killed_build_is_removed_by_the_next_build(corpus, fresh):
    child = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(fresh)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "building\n"
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
    (leftover,) = (fresh / "bm25").iterdir()
    assert leftover.name.startswith(f".{'ab' * 12}.") and leftover.is_dir()
    BM25Retriever(corpus)  # a cold build of another index sweeps the folder
    assert [p.name for p in (fresh / "bm25").iterdir() if p.name.startswith(".")] == []


def test_temp_folders_are_kept_while_their_owner_may_still_be_building(tmp_path):
    folder = tmp_path / "bm25"
    folder.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    here, key = cache_module._host(), "cd" * 12
    old = time.time() - STALE_AFTER_S - 60
    cases = {
        f".{key}.{here}.{os.getpid()}.live": (False, True),  # this process: alive
        f".{key}.{here}.{gone.stdout.strip()}.dead": (False, False),  # exited: stale at once
        f".{key}.other-host.1.recent": (False, True),  # cannot be checked: kept until old
        f".{key}.other-host.1.old": (True, False),
        f".{key}-legacy1": (True, False),  # the name of older agent-gym builds
        f".{key}-legacy2": (False, True),
        ".not-a-build": (True, True),  # not ours: never touched
    }
    for name, (is_old, _) in cases.items():
        (folder / name).mkdir()
        if is_old:
            os.utime(folder / name, (old, old))
    cached_directory("bm25", "ef" * 12, lambda d: (d / "index.bin").write_bytes(b"\x01"), root=tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(n for n, (_, kept) in cases.items() if kept), "ef" * 12])
