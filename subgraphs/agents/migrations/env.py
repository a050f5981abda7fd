"""Alembic environment of the agents subgraph: re-uses the shared async env (common/migrations/env.py).

The agents tables migrate with their own version table (``ql_agents_alembic_version``),
passed in by ``Database.migrate``, on the same engine set-up as every other service.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import common.migrations

runpy.run_path(str(Path(common.migrations.__file__).with_name("env.py")), run_name="__alembic_env__")
