"""Failure classes that decide what happens to a task.

An ``InfrastructureError`` (sandbox would not start, LLM/parser unreachable) is
never the generated code's fault: the job is re-queued with a delay instead of
failing the task. A ``TaskRejected`` is final (e.g. the LLM refused the input).
"""

from __future__ import annotations


class InfrastructureError(Exception):
    """Something outside the task broke; retry the job later."""


class TaskRejected(Exception):
    """A downstream service rejected the task's input for good; the task fails with this message."""
