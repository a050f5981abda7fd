"""Which services exist and how each one is served."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    app: str  # "module:factory" for uvicorn --factory; empty for the gateway
    port_setting: str
    schema: str = ""  # "module:attribute" of the Strawberry schema (subgraphs only)

    def port(self, settings: Settings) -> int:
        return int(getattr(settings, self.port_setting))


SUBGRAPHS: dict[str, ServiceSpec] = {
    "llm": ServiceSpec("llm", "subgraphs.llm.app:create_app", "llm_port", "subgraphs.llm.schema:schema"),
    "agents": ServiceSpec("agents", "subgraphs.agents.app:create_app", "agents_port", "subgraphs.agents.schema:schema"),
    "parser": ServiceSpec("parser", "subgraphs.parser.app:create_app", "parser_port", "subgraphs.parser.schema:schema"),
}
GATEWAY = ServiceSpec("gateway", "", "gateway_port")


def available_services() -> list[ServiceSpec]:
    """Every subgraph that exists, and the gateway once its module and a supergraph exist."""
    services = list(SUBGRAPHS.values())
    if (ROOT / "gateway" / "__main__.py").exists() and SUPERGRAPH.exists():
        services.append(GATEWAY)
    return services
