"""Command line: ``python -m gateway`` serves, ``python -m gateway plan`` prints a query plan.

Serve::

    python -m gateway --supergraph supergraph.graphql --port 4000 [--host 127.0.0.1] [--debug-query-plan]

Plan (no network, no server)::

    python -m gateway plan --supergraph supergraph.graphql query.graphql [--operation-name Name]

Imports are deferred to the branch that needs them: harnesses start a gateway
per test suite and poll until it answers, so start-up time is paid many times.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_GRAPHQL_ERROR, EXIT_USAGE = 0, 1, 2


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SystemExit(f"error: cannot read {what} {str(path)!r}: {error.strerror}") from None


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateway",
        description="Serve the federation gateway (GraphQL over HTTP at /graphql). "
        "Subcommand: 'plan' prints a query plan. Settings also come from QL_GATEWAY_* variables.",
    )
    parser.add_argument("--supergraph", type=Path, help="supergraph SDL file (QL_GATEWAY_SUPERGRAPH_PATH)")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 4000)")
    parser.add_argument(
        "--debug-query-plan",
        action="store_true",
        default=None,
        help="return each operation's query plan in extensions.queryPlan (QL_GATEWAY_DEBUG_QUERY_PLAN)",
    )
    parser.add_argument("--log-level", help="log level (default INFO)")
    parser.add_argument(
        "--no-watch", dest="watch_supergraph", action="store_false", default=None,
        help="do not reload when the supergraph file changes (QL_GATEWAY_WATCH_SUPERGRAPH)",
    )
    parser.add_argument(
        "--poll-subgraphs", action="store_true", default=None,
        help="development mode: recompose from the live subgraphs' _service { sdl } every few seconds",
    )
    parser.add_argument(
        "--override-subgraph-url", action="append", default=[], metavar="NAME=URL",
        help="route subgraph NAME to URL instead of the supergraph's URL (repeatable)",
    )
    parser.add_argument(
        "--subgraph", action="append", default=[], metavar="NAME=URL",
        help="a subgraph to poll (repeatable); default: the supergraph's own subgraph URLs",
    )
    return parser


def _plan_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateway plan", description="Print the query plan of an operation as JSON."
    )
    parser.add_argument("--supergraph", type=Path, required=True, help="supergraph SDL file")
    parser.add_argument("query_file", type=Path, help="file with the GraphQL operation(s)")
    parser.add_argument("--operation-name", help="operation to plan in a multi-operation document")
    return parser


def serve(argv: Sequence[str]) -> int:
    """Parse flags over env settings, then run uvicorn until interrupted."""
    args = _serve_parser().parse_args(argv)

    from gateway.config import GatewaySettings

    overrides: dict[str, Any] = {
        key: value
        for key, value in {
            "supergraph_path": args.supergraph,
            "host": args.host,
            "port": args.port,
            "debug_query_plan": args.debug_query_plan,
            "log_level": args.log_level,
            "watch_supergraph": args.watch_supergraph,
            "poll_subgraphs": args.poll_subgraphs,
        }.items()
        if value is not None
    }
    pairs: dict[str, dict[str, str]] = {"--subgraph": {}, "--override-subgraph-url": {}}
    for flag, items in (("--subgraph", args.subgraph), ("--override-subgraph-url", args.override_subgraph_url)):
        for item in items:
            name, sep, url = item.partition("=")
            if not sep or not name or not url:
                print(f"error: {flag} wants NAME=URL, got {item!r}", file=sys.stderr)
                return EXIT_USAGE
            pairs[flag][name] = url
    subgraphs = pairs["--subgraph"]
    if pairs["--override-subgraph-url"]:
        overrides["subgraph_url_overrides"] = pairs["--override-subgraph-url"]
    settings = GatewaySettings(**overrides)
    if settings.supergraph_path is None and not (settings.poll_subgraphs and subgraphs):
        print("error: --supergraph FILE (or QL_GATEWAY_SUPERGRAPH_PATH) is required, "
              "unless --poll-subgraphs is given with --subgraph NAME=URL", file=sys.stderr)
        return EXIT_USAGE

    import uvicorn

    from common.logging import configure_logging
    from gateway.http import create_app, reloading_pipeline_factory
    from gateway.supergraph import SupergraphError, load_supergraph, override_subgraph_urls

    configure_logging(settings.log_level, service="gateway")

    def load(sdl: str) -> Any:
        return override_subgraph_urls(load_supergraph(sdl), settings.subgraph_url_overrides)

    supergraph = None
    if settings.supergraph_path is not None:
        sdl = _read_text(settings.supergraph_path, "supergraph")
        try:
            supergraph = load(sdl)
        except SupergraphError as error:
            print(f"error: invalid supergraph {str(settings.supergraph_path)!r}: {error}", file=sys.stderr)
            return EXIT_GRAPHQL_ERROR
    if settings.poll_subgraphs and not subgraphs and supergraph is not None:
        subgraphs = dict(supergraph.subgraph_urls)
    factory, background = reloading_pipeline_factory(
        settings,
        supergraph,
        supergraph_path=settings.supergraph_path if settings.watch_supergraph else None,
        poll_subgraphs=subgraphs if settings.poll_subgraphs else None,
        file_interval_s=settings.supergraph_poll_interval_s,
        poll_interval_s=settings.subgraph_poll_interval_s,
        load=load,
    )
    app = create_app(settings, factory, background)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our logging set-up
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        # uvicorn re-raises the signal after its graceful shutdown; Ctrl-C is a clean stop.
        return EXIT_OK
    # uvicorn leaves started=False when the lifespan (supergraph load) failed.
    return EXIT_OK if server.started else EXIT_GRAPHQL_ERROR


def plan(argv: Sequence[str]) -> int:
    """Parse, validate and plan one operation; print the plan JSON or the GraphQL errors."""
    args = _plan_parser().parse_args(argv)
    sdl = _read_text(args.supergraph, "supergraph")
    query = _read_text(args.query_file, "query file")

    import json

    from gateway.pipeline import RequestErrors, parse_and_validate, select_operation
    from gateway.planning import plan_operation
    from gateway.supergraph import SupergraphError, load_supergraph

    try:
        supergraph = load_supergraph(sdl)
    except SupergraphError as error:
        print(f"error: invalid supergraph: {error}", file=sys.stderr)
        return EXIT_GRAPHQL_ERROR
    prepared = parse_and_validate(supergraph.api_schema, query)
    if isinstance(prepared, RequestErrors):
        print(json.dumps({"errors": list(prepared.errors)}, indent=2), file=sys.stderr)
        return EXIT_GRAPHQL_ERROR
    operation = select_operation(prepared.document, args.operation_name)
    if isinstance(operation, RequestErrors):
        print(json.dumps({"errors": list(operation.errors)}, indent=2), file=sys.stderr)
        return EXIT_GRAPHQL_ERROR
    name = operation.name.value if operation.name is not None else None
    query_plan = plan_operation(supergraph, prepared.document, name)
    print(json.dumps(query_plan.to_dict(), indent=2))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "plan":
        return plan(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
