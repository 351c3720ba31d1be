"""Multi-hop QA data: the uniform record schema and its loaders.

Loaders: :func:`load_jsonl` (the uniform schema), :func:`load_raw` (the official HotpotQA, 2WikiMultihopQA and
MuSiQue formats), :func:`load_hf` (Hugging Face ``datasets``). A broken file raises
:class:`~agent_gym.errors.DataError` naming the file, line and field. The bundled records live with the envs
that use them (``agent_gym.envs.qa``).
"""

from agent_gym.data.hub import HUB_COPIES, HubCopy, load_hf
from agent_gym.data.loaders import load_jsonl, load_records, write_jsonl
from agent_gym.data.raw import CONVERTERS, from_2wikimultihopqa, from_hotpotqa, from_musique, load_raw
from agent_gym.data.schema import DATASETS, DatasetName, Paragraph, QARecord, RecordSource

__all__ = [
    "CONVERTERS",
    "DATASETS",
    "DatasetName",
    "HUB_COPIES",
    "HubCopy",
    "Paragraph",
    "QARecord",
    "RecordSource",
    "from_2wikimultihopqa",
    "from_hotpotqa",
    "from_musique",
    "load_hf",
    "load_jsonl",
    "load_raw",
    "load_records",
    "write_jsonl",
]
