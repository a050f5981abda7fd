"""Alembic environment of the LLM subgraph: the shared async env (common/migrations/env.py).

Kept as a thin re-use so the LLM tables migrate with their own version table
(``ql_llm_alembic_version``) on the same engine set-up as every other service.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import common.migrations

runpy.run_path(str(Path(common.migrations.__file__).with_name("env.py")), run_name="__alembic_env__")
