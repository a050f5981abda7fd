"""Agents tables: tasks, steps, artifacts, events and the job queue.

Revision ID: agents_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "agents_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "ql_agents_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("entry_point", sa.String(256), nullable=True),
        sa.Column("tests", sa.Text, nullable=True),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("budget_usd", sa.Float, nullable=True),
        sa.Column("route", sa.String(128), nullable=True),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("created_at", ts, nullable=False, index=True),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_table(
        "ql_agents_steps",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("task_id", sa.String(36), sa.ForeignKey("ql_agents_tasks.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("output", sa.JSON, nullable=True),
        sa.Column("generation_id", sa.String(64), nullable=True),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("started_at", ts, nullable=True),
        sa.Column("finished_at", ts, nullable=True),
        sa.UniqueConstraint("task_id", "run", "attempt", "kind", name="uq_ql_agents_steps_slot"),
    )
    op.create_table(
        "ql_agents_artifacts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("task_id", sa.String(36), sa.ForeignKey("ql_agents_tasks.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("step_id", sa.String(36), nullable=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_table(
        "ql_agents_events",
        sa.Column("task_id", sa.String(36), sa.ForeignKey("ql_agents_tasks.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("step_id", sa.String(36), nullable=True),
        sa.Column("at", ts, nullable=False),
    )
    op.create_table(
        "ql_agents_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(36), sa.ForeignKey("ql_agents_tasks.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_after", ts, nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=True),
        sa.Column("heartbeat_at", ts, nullable=True),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("infra_failures", sa.Integer, nullable=False),
        sa.Column("created_at", ts, nullable=False),
    )
    op.create_index("ix_ql_agents_jobs_pick", "ql_agents_jobs", ["status", "run_after"])


def downgrade() -> None:
    for table in ("ql_agents_jobs", "ql_agents_events", "ql_agents_artifacts", "ql_agents_steps",
                  "ql_agents_tasks"):
        op.drop_table(table)
