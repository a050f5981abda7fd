"""Helpers shared by test modules: where the shared test data lives, and skip-unless-CI."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# CI lays a copy of shared/ beside the clone; a developer's checkout has it at ../shared too.
AUDIT_CASES = ROOT.parent / "shared" / "federation-audit" / "cases.json"


def unavailable(reason: str) -> pytest.MarkDecorator:
    """Skip a module whose prerequisite is missing on a developer's machine; under CI it must be there."""
    return pytest.mark.skipif(not os.environ.get("CI"), reason=reason)


def require(condition: bool, reason: str) -> None:
    """Fail under CI, skip elsewhere, when a prerequisite (a server, a file, a binary) is missing."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
