"""Gateway configuration: one explicit, immutable settings object.

Every stage receives the values it needs from a ``GatewaySettings`` instance
built once in ``__main__`` (or by a test), so nothing reads the environment
behind the caller's back and tests can run several differently configured
gateways in one process.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Settings read from ``QL_GATEWAY_*`` environment variables; CLI flags override them.

    The defaults are safe for production: the query-plan debug output is off
    (plans reveal subgraph names and URLs' structure) and the gateway binds
    loopback only.
    """

    model_config = SettingsConfigDict(env_prefix="QL_GATEWAY_", env_file=None, extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    supergraph_path: Path | None = None

    # Return the query plan in ``extensions.queryPlan``; a development aid only.
    debug_query_plan: bool = False
    # Serve the GraphiQL page on browser GETs of /graphql.
    graphiql: bool = True

    # Bounded caches: a hostile client sending unique documents must not grow memory.
    plan_cache_size: int = Field(default=512, ge=0)
    document_cache_size: int = Field(default=1024, ge=0)

    # Request limits: bodies over max_request_bytes get 413; documents over
    # parser_max_tokens fail to parse (bounds parser CPU per request).
    max_request_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    parser_max_tokens: int | None = Field(default=15_000, gt=0)

    # Subgraph transport (aiohttp). Total covers connect + send + read of one call.
    subgraph_timeout_s: float = Field(default=30.0, gt=0)
    subgraph_connect_timeout_s: float = Field(default=5.0, gt=0)
    subgraph_max_connections: int = Field(default=256, ge=0)  # 0 = unlimited
    subgraph_max_connections_per_host: int = Field(default=64, ge=0)  # 0 = unlimited
    subgraph_keepalive_s: float = Field(default=30.0, gt=0)

    # Route subgraphs elsewhere than the supergraph's join__graph URLs (name -> URL).
    subgraph_url_overrides: dict[str, str] = Field(default_factory=dict)

    # Hot reload: watch the supergraph file; in development, recompose from live subgraphs.
    watch_supergraph: bool = True
    supergraph_poll_interval_s: float = Field(default=1.0, gt=0)
    poll_subgraphs: bool = False
    subgraph_poll_interval_s: float = Field(default=5.0, gt=0)

    log_level: str = "INFO"
    # Uvicorn's access log costs CPU on every request; opt in.
    access_log: bool = False
