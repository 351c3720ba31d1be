"""The converted embedded model is checked against its manifest before use: a damaged cache is converted again
(with a warning saying what was wrong), a sound one is reused, and converters starting together both succeed.

One real conversion is shared by the module (``clean``); each test works on a copy of it. The four repairs the
issue measured run the real converter; the other damage kinds swap in a converter that copies ``clean``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent_gym.baselines.policies import embedded
from agent_gym.baselines.policies.embedded import MANIFEST, Manifest, embedded_checkpoint

NAME = "SmolLM2-135M-Instruct"
WEIGHTS = "model.safetensors"


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A checkpoint converted from an empty cache by the real converter (read-only: copy it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENT_GYM_CACHE", str(tmp_path_factory.mktemp("clean-cache")))
        return embedded_checkpoint()


@pytest.fixture
def target(clean, tmp_path, monkeypatch) -> Path:
    """A fresh copy of ``clean`` where this test's ``$AGENT_GYM_CACHE`` expects the checkpoint."""
    monkeypatch.setenv("AGENT_GYM_CACHE", str(tmp_path / "cache"))
    copy = tmp_path / "cache" / NAME
    shutil.copytree(clean, copy, copy_function=shutil.copyfile)  # new files, new mtimes: nothing shared with clean
    return copy


@pytest.fixture
def copying_converter(clean, monkeypatch) -> list[Path]:
    """Replace the converter by one that copies ``clean`` (without its manifest); returns the folders it filled."""
    calls: list[Path] = []

    def convert(directory: Path) -> None:
        calls.append(directory)
        for path in clean.iterdir():
            if path.name != MANIFEST:
                shutil.copyfile(path, directory / path.name)

    monkeypatch.setattr(embedded, "_convert", convert)
    return calls


def manifest(folder: Path) -> Manifest:
    return Manifest.model_validate_json((folder / MANIFEST).read_bytes())


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def truncate(folder: Path) -> str:
    size = (folder / WEIGHTS).stat().st_size
    os.truncate(folder / WEIGHTS, size // 2)
    return f"{WEIGHTS} has {size // 2} bytes, the manifest says {size}"


def delete(folder: Path) -> str:
    (folder / WEIGHTS).unlink()
    return f"{WEIGHTS} is missing"


def flip(folder: Path) -> str:
    """64 bytes in the middle of the weights: a file that loads without error and a model that says nothing."""
    with open(folder / WEIGHTS, "r+b") as f:
        f.seek(f.seek(0, os.SEEK_END) // 2)
        middle = f.tell()
        chunk = f.read(64)
        f.seek(middle)
        f.write(bytes(b ^ 0xFF for b in chunk))
    return f"the content of {WEIGHTS} differs from the manifest's sha256"


def damage_manifest(folder: Path) -> str:
    (folder / MANIFEST).write_text('{"format": 1, "files": {"config.json": ')  # as if cut off mid-write
    return f"{MANIFEST} is damaged (Invalid JSON: EOF while parsing a value at line 1 column 39)"


def remove_manifest(folder: Path) -> str:
    (folder / MANIFEST).unlink()
    return f"{MANIFEST} is missing (an interrupted conversion, or one by an older agent-gym)"


def add_file(folder: Path) -> str:
    (folder / "adapter_config.json").write_text("{}")
    return "adapter_config.json was not written by the converter"


def file_for_folder(folder: Path) -> str:
    shutil.rmtree(folder)
    folder.write_text("not a checkpoint")
    return "a file is where the folder should be"


def warned(caplog, folder: Path, reason: str) -> bool:
    message = f"the converted embedded model at {folder} is unusable ({reason}); converting it again"
    return [r.getMessage() for r in caplog.records if r.name == embedded.__name__] == [message]


def test_a_conversion_lists_every_file_with_its_size_and_hash(clean):
    files = manifest(clean).files
    assert sorted(files) == sorted(p.name for p in clean.iterdir() if p.name != MANIFEST)
    assert {"config.json", WEIGHTS, "tokenizer.json"} <= set(files)
    for name, record in files.items():
        assert (record.size, record.sha256) == ((clean / name).stat().st_size, sha256(clean / name)), name


def test_a_sound_checkpoint_is_reused_without_converting(target, copying_converter, caplog):
    assert embedded_checkpoint() == target
    assert embedded_checkpoint() == target  # second time from the hash cache
    assert copying_converter == [] and caplog.records == []


@pytest.mark.slow
@pytest.mark.parametrize("damage", [truncate, delete, flip, damage_manifest])
def test_a_damaged_checkpoint_is_converted_again_and_loads_like_a_clean_one(damage, clean, target, caplog):
    """The failures measured in issue 17, repaired by the real converter."""
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM

    reason = damage(target)
    with caplog.at_level(logging.WARNING):
        assert embedded_checkpoint() == target
    assert warned(caplog, target, reason)
    assert manifest(target).files[WEIGHTS] == manifest(clean).files[WEIGHTS]
    assert sha256(target / WEIGHTS) == manifest(clean).files[WEIGHTS].sha256
    model = AutoModelForCausalLM.from_pretrained(target, local_files_only=True)
    with safe_open(clean / WEIGHTS, "pt") as weights:
        name = "model.layers.0.self_attn.q_proj.weight"
        assert model.state_dict()[name].equal(weights.get_tensor(name))
    assert sorted(p.name for p in target.parent.iterdir()) == [NAME, f"{NAME}.lock"]  # nothing left aside


@pytest.mark.parametrize("damage", [remove_manifest, add_file, file_for_folder, truncate, damage_manifest])
def test_each_kind_of_damage_is_named_in_the_warning(damage, clean, target, copying_converter, caplog):
    reason = damage(target)
    with caplog.at_level(logging.WARNING):
        assert embedded_checkpoint() == target
    assert warned(caplog, target, reason)
    assert len(copying_converter) == 1
    assert manifest(target) == manifest(clean)


def test_a_change_that_puts_the_mtime_back_is_still_caught(target, copying_converter, caplog):
    """The per-process hash cache is keyed by the file's identity, ctime included: os.utime cannot hide a change."""
    assert embedded_checkpoint() == target  # hashes cached
    before = (target / WEIGHTS).stat()
    reason = flip(target)
    os.utime(target / WEIGHTS, ns=(before.st_atime_ns, before.st_mtime_ns))
    with caplog.at_level(logging.WARNING):
        assert embedded_checkpoint() == target
    assert warned(caplog, target, reason)
    assert len(copying_converter) == 1


def test_folders_left_by_a_killed_converter_are_removed(target, copying_converter):
    leftover = target.with_name(f".{NAME}-staging-abc123")
    leftover.mkdir()
    (leftover / WEIGHTS).write_bytes(b"half")
    delete(target)
    assert embedded_checkpoint() == target
    assert not leftover.exists()


RACE = """
import sys, time
from pathlib import Path
from agent_gym.baselines.policies import embedded

def convert(directory):
    print("converting", flush=True)
    time.sleep(1.5)  # long enough for the other process to ask for the checkpoint meanwhile
    (directory / "config.json").write_text("{}")
    (directory / "model.safetensors").write_bytes(b"weights")

embedded._convert = convert
me, other = Path(sys.argv[1]), Path(sys.argv[2])
me.touch()
while not other.exists():  # start together
    time.sleep(0.01)
print(embedded.embedded_checkpoint(), flush=True)
"""


@pytest.mark.parametrize("before", ["empty cache", "damaged checkpoint"])
def test_two_processes_converting_at_once_both_end_with_a_valid_checkpoint(before, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    if before == "damaged checkpoint":
        (cache / NAME).mkdir(parents=True)
        (cache / NAME / WEIGHTS).write_bytes(b"trunc")
    monkeypatch.setenv("AGENT_GYM_CACHE", str(cache))
    script = tmp_path / "race.py"
    script.write_text(textwrap.dedent(RACE))
    ready = [tmp_path / "ready-0", tmp_path / "ready-1"]
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), str(me), str(other)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for me, other in (ready, ready[::-1])
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert sorted(lines) == sorted(["converting", str(cache / NAME), str(cache / NAME)])  # one conversion, used by both
    monkeypatch.setattr(embedded, "_convert", lambda directory: pytest.fail("the checkpoint should be valid"))
    assert embedded_checkpoint() == cache / NAME
    assert sorted(manifest(cache / NAME).files) == ["config.json", WEIGHTS]
