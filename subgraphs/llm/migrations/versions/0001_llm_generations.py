"""LLM generations: one row per generation (success, failure or cache hit).

Revision ID: llm_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "llm_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ql_llm_generations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("route", sa.String(128), nullable=True),
        sa.Column("user", sa.String(256), nullable=True, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("finish_reason", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("usage_estimated", sa.Boolean, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("ttft_ms", sa.Float, nullable=True),
        sa.Column("cached", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ql_llm_generations")
