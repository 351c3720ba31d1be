"""``agent-gym serve-retriever``: serve a retriever over HTTP (FastAPI on uvicorn), loopback by default.

Examples::

    agent-gym serve-retriever                               # bm25 over the pooled bundled dev paragraphs
    agent-gym serve-retriever --dataset hotpotqa --port 8001
    AGENT_GYM_TOKEN=s3cret agent-gym serve-retriever --corpus wiki.jsonl --retriever lucene --host 0.0.0.0
    agent-gym serve-retriever --body-timeout-s 30 --docs        # slow clients; API pages at /docs

Then ``gym.make("MultiHopQA-v0", retriever="http://127.0.0.1:8000")``.
"""

from __future__ import annotations

import argparse
import os
import sys

from agent_gym.errors import AgentGymError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from agent_gym.cli._limits import add_limit_arguments
    from agent_gym.retrieval.server import ServerLimits  # light: pydantic only
    from agent_gym.serving.http_limits import add_origin_arguments

    parser = argparse.ArgumentParser(prog="agent-gym serve-retriever", description="Serve a retriever over HTTP.")
    parser.add_argument("--dataset", action="append", help="dataset(s) whose paragraphs are pooled (default: all three)")
    parser.add_argument("--split", default="dev", help="bundled split to pool (dev or train; default dev)")
    parser.add_argument("--corpus", default="pooled", help="'pooled' (default) or a {id,title,text} JSONL corpus file")
    parser.add_argument("--retriever", default="bm25", choices=["bm25", "lucene"], help="backend (default bm25)")
    parser.add_argument("--k1", type=float, default=0.9, help="BM25 k1 (default 0.9)")
    parser.add_argument("--b", type=float, default=0.4, help="BM25 b (default 0.4)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--token", default=None, help="bearer token clients must send (default $AGENT_GYM_TOKEN); required beyond loopback"
    )
    add_origin_arguments(parser)
    add_limit_arguments(
        parser,
        ServerLimits(),
        {
            "max_batch": "most queries per /batch_search or /retrieve",
            "max_k": "most passages per query",
            "max_results": "most passages (queries x k) one request may ask for (413 above)",
            "max_results_in_flight": "most passages being retrieved across all requests at once (503 above)",
            "max_query_chars": "longest query",
            "max_body_bytes": "largest request body in bytes (413 above)",
            "header_timeout_s": "seconds a connection may take to send a request head",
            "body_timeout_s": "seconds a request may take to send its body (408 after)",
            "keep_alive_s": "seconds an idle connection is kept open",
        },
    )
    parser.add_argument("--docs", action="store_true", help="serve /docs, /redoc and /openapi.json (off by default)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from agent_gym.cli._limits import limits_from_args
    from agent_gym.retrieval import Corpus, make_retriever
    from agent_gym.retrieval.server import ServerLimits, serve
    from agent_gym.serving.http_limits import check_bind

    token = args.token if args.token is not None else os.environ.get("AGENT_GYM_TOKEN")
    try:
        limits = limits_from_args(ServerLimits, args)  # before the slow part
        check_bind(args.host, token, "serving a retriever")
    except AgentGymError as exc:
        print(f"agent-gym serve-retriever: {exc}", file=sys.stderr)
        return 2
    try:
        if args.corpus == "pooled":
            from agent_gym.envs.qa.bundled import load_bundled, resolve_datasets

            names = resolve_datasets(args.dataset)
            records = [r for name in names for r in load_bundled(name, args.split)]
            corpus = Corpus.from_records(records, name=f"pooled:{'+'.join(names)}:{args.split}")
        else:
            corpus = Corpus.from_jsonl(args.corpus)
        retriever = make_retriever(args.retriever, corpus, k1=args.k1, b=args.b)
    except (AgentGymError, ValueError) as exc:
        print(f"agent-gym serve-retriever: {exc}", file=sys.stderr)
        return 2
    print(f"serving {retriever!r} on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    serve(
        retriever,
        host=args.host,
        port=args.port,
        limits=limits,
        log_level=args.log_level,
        docs=args.docs,
        token=token,
        allowed_hosts=tuple(args.allow_host),
        allowed_origins=tuple(args.allow_origin),
    )
    return 0
