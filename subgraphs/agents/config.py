"""Settings of the agents subgraph (``QL_AGENTS_*``), passed explicitly to every component."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LLM_URL = "http://127.0.0.1:4001/graphql"
DEFAULT_PARSER_URL = "http://127.0.0.1:4003/graphql"


def _default_python() -> str:
    # The system interpreter lives under /usr, which the sandbox binds read-only anyway;
    # a virtualenv/pyenv interpreter under /root would be unreachable for uid 65534.
    return "/usr/bin/python3" if Path("/usr/bin/python3").exists() else "python3"


class AgentsSettings(BaseSettings):
    """Queue, worker, sandbox and downstream-service settings."""

    model_config = SettingsConfigDict(env_prefix="QL_AGENTS_", env_file=None, extra="ignore")

    # Downstream services: the gateway when configured (one URL for both), else each subgraph directly.
    gateway_url: str | None = None
    llm_url: str | None = None
    parser_url: str | None = None
    llm_timeout_s: float = 120.0
    parser_timeout_s: float = 30.0

    # Worker and queue.
    worker_enabled: bool = True
    concurrency: int = 4
    poll_interval_s: float = 0.2
    heartbeat_s: float = 0.5
    heartbeat_timeout_s: float = 15.0
    infra_retry_s: float = 2.0
    max_infra_failures: int = 5

    # Task limits.
    default_max_attempts: int = 3
    max_attempts_limit: int = 10
    max_prompt_chars: int = 100_000
    max_tests_chars: int = 200_000
    page_size_limit: int = 100

    # Sandbox.
    sandbox_backend: str = "auto"  # auto | bwrap | rlimit
    sandbox_python: str = _default_python()
    sandbox_timeout_s: float = 10.0
    sandbox_cpu_s: int = 10
    sandbox_memory_mb: int = 512
    sandbox_fsize_mb: int = 16
    sandbox_nofile: int = 256
    sandbox_nproc: int = 256
    sandbox_output_chars: int = 4000

    redis_prefix: str = "ql:agents:"
    metrics_interval_s: float = 5.0

    def effective_llm_url(self) -> str:
        return self.llm_url or self.gateway_url or DEFAULT_LLM_URL

    def effective_parser_url(self) -> str:
        return self.parser_url or self.gateway_url or DEFAULT_PARSER_URL
