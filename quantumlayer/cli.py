"""``quantumlayer up | serve SERVICE | parse FILE... | compose [--check]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Any

from common.settings import Settings
from quantumlayer.services import GATEWAY, ROOT, SUBGRAPHS, SUPERGRAPH, available_services


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings()
    host = args.host or settings.host
    if args.service == GATEWAY.name:
        port = args.port or GATEWAY.port(settings)
        cmd = [sys.executable, "-m", "gateway", "--supergraph", str(args.supergraph or SUPERGRAPH),
               "--host", host, "--port", str(port)]
        # The checked-in supergraph routes to the default ports; route to the configured ones.
        for name, subgraph in SUBGRAPHS.items():
            cmd += ["--override-subgraph-url", f"{name}=http://{settings.host}:{subgraph.port(settings)}/graphql"]
        os.execv(sys.executable, cmd)
    spec = SUBGRAPHS.get(args.service)
    if spec is None:
        print(f"unknown service {args.service!r}; known: {', '.join([*SUBGRAPHS, GATEWAY.name])}", file=sys.stderr)
        return 2
    import uvicorn

    from common.logging import configure_logging

    configure_logging(settings.log_level, json_output=settings.log_json, service=spec.name)
    uvicorn.run(spec.app, factory=True, host=host, port=args.port or spec.port(settings),
                log_level=settings.log_level.lower(), access_log=False)
    return 0


def _signal_group(child: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cmd_up(args: argparse.Namespace) -> int:
    """Start every service as a child process; Ctrl-C (or SIGTERM) stops them all."""
    settings = Settings()
    services = available_services()
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    for spec in services:
        port = spec.port(settings)
        cmd = [sys.executable, "-m", "quantumlayer", "serve", spec.name, "--port", str(port)]
        # Each service gets a session of its own, so a terminal's Ctrl-C reaches only this
        # supervisor, which then stops every service (and its worker processes) in order.
        children.append((spec.name, subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)))
        print(f"[up] {spec.name:8s} http://{settings.host}:{port}/graphql", file=sys.stderr, flush=True)
    if GATEWAY not in services:
        print("[up] gateway not started: no schema/supergraph.graphql yet", file=sys.stderr)
    if not settings.database_url:
        print(f"[up] DATABASE_URL unset: embedded SQLite under {settings.data_dir}/", file=sys.stderr)
    if not settings.redis_url:
        print("[up] REDIS_URL unset: in-process cache and limits", file=sys.stderr)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children:
            code = child.poll()
            if code is not None:
                print(f"[up] {name} exited with {code}; stopping the stack", file=sys.stderr)
                exit_code = code or 1
                stopping = True
        time.sleep(0.2)
    # SIGTERM, not SIGINT: uvicorn shuts down gracefully on either, and a service still importing
    # its modules just ends instead of printing a KeyboardInterrupt traceback.
    for _, child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for name, child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"[up] {name} did not stop in time; killing it", file=sys.stderr)
            _signal_group(child, signal.SIGKILL)
            child.wait()
        _signal_group(child, signal.SIGKILL)  # leftovers of the service's group (parse workers)
    print("[up] stopped", file=sys.stderr)
    return exit_code


def cmd_parse(args: argparse.Namespace) -> int:
    """Analyse files offline through the same worker pool the service uses."""
    from subgraphs.parser.languages import UnsupportedLanguageError, detect_language
    from subgraphs.parser.pool import Job, ParseFailure, ParserPool

    async def run() -> tuple[list[dict[str, Any]], int]:
        out: list[dict[str, Any]] = []
        failures = 0
        async with ParserPool(workers=1, timeout_s=args.timeout) as pool:
            for file in args.files:
                path = Path(file)
                try:
                    source = await asyncio.to_thread(path.read_text, encoding="utf-8", errors="surrogateescape")
                    language = detect_language(source, str(path), args.language)
                    result = await pool.analyze(Job(source, str(path), language))
                    out.append({"path": str(path), **_jsonable(asdict(result))})
                except (OSError, UnsupportedLanguageError, ParseFailure) as exc:
                    failures += 1
                    code = getattr(exc, "code", "UNSUPPORTED_LANGUAGE" if isinstance(exc, ValueError) else "IO_ERROR")
                    out.append({"path": str(path), "error": {"code": code, "message": str(exc)}})
        return out, failures

    results, failures = asyncio.run(run())
    json.dump(results[0] if len(results) == 1 else results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if failures else 0


def cmd_compose(args: argparse.Namespace) -> int:
    from quantumlayer.compose import CompositionFailed, check_schemas, write_schemas

    if args.check:
        stale = check_schemas()
        for line in stale:
            print(line, file=sys.stderr)
        if stale:
            print("schema/ is out of date: run `quantumlayer compose`", file=sys.stderr)
            return 1
        print("schema/ is up to date", file=sys.stderr)
        return 0
    try:
        written = write_schemas(from_urls=args.from_urls)
    except CompositionFailed as failed:
        for error in failed.errors:
            print(error, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    if not written:
        print("schema/ is up to date", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quantumlayer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run every service (gateway :4000, llm :4001, agents :4002, parser :4003)")
    serve = sub.add_parser("serve", help="run one service")
    serve.add_argument("service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--supergraph", help="gateway only: supergraph SDL file")
    parse = sub.add_parser("parse", help="print the analysis of FILE... as JSON (offline)")
    parse.add_argument("files", nargs="+")
    parse.add_argument("--language")
    parse.add_argument("--timeout", type=float, default=10.0)
    compose = sub.add_parser("compose", help="write schema/*.graphql from the subgraphs' code")
    compose.add_argument("--check", action="store_true", help="fail when schema/ is out of date")
    compose.add_argument("--from-urls", action="store_true",
                         help="read each subgraph's SDL from the running service (_service { sdl })")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"up": cmd_up, "serve": cmd_serve, "parse": cmd_parse, "compose": cmd_compose}[args.command]
    return handler(args)
