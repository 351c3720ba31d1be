"""The public names of agent_gym.retrieval and agent_gym.data, and the promise that importing them stays light."""

import subprocess
import sys

import agent_gym.data
import agent_gym.retrieval


def test_public_names_are_pinned():
    # pinned as written here, not copied from __all__: renaming or dropping a public name must fail this test
    assert sorted(agent_gym.retrieval.__all__) == sorted(
        "BM25Retriever Corpus HttpRetriever MAX_QUERY_CHARS MemoryRetriever Passage RETRIEVERS Retriever clean_query "
        "make_retriever passage_id".split()
    )
    assert sorted(agent_gym.data.__all__) == sorted(
        "CONVERTERS DATASETS DatasetName HUB_COPIES HubCopy Paragraph QARecord RecordSource from_2wikimultihopqa "
        "from_hotpotqa from_musique load_hf load_jsonl load_raw load_records write_jsonl".split()
    )
    for module in (agent_gym.retrieval, agent_gym.data):
        assert all(hasattr(module, name) for name in module.__all__)


def test_importing_retrieval_data_and_the_qa_env_loads_no_heavy_backend():
    code = (
        "import sys, agent_gym, agent_gym.retrieval, agent_gym.data, agent_gym.envs.qa;"
        "print(sorted(m for m in ('bm25s', 'pyserini', 'jnius', 'fastapi', 'uvicorn', 'datasets', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
