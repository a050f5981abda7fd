"""The Kubernetes manifests are well-formed and agree with the code they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.settings import Settings
from quantumlayer.cli import build_parser

K8S = Path(__file__).resolve().parent.parent / "infra" / "k8s"


def load_all() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_services_select_deployments_and_ports_match() -> None:
    docs = load_all()
    workloads = {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}
    services = [d for d in docs if d["kind"] == "Service"]
    assert {s["metadata"]["name"] for s in services} >= {"gateway", "parser", "llm", "agents", "postgres", "redis"}
    for svc in services:
        selector = svc["spec"]["selector"]
        matches = [w for w in workloads.values()
                   if all(w["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        assert len(matches) == 1, svc["metadata"]["name"]
        port_names = {p["name"] for c in matches[0]["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in port_names


def test_app_containers_use_real_commands_ports_and_probes() -> None:
    settings = Settings()
    expected_ports = {"parser": settings.parser_port, "gateway": settings.gateway_port, "llm": settings.llm_port,
                      "agents": settings.agents_port}
    for doc in load_all():
        name = doc["metadata"]["name"]
        if doc["kind"] != "Deployment" or name not in expected_ports:
            continue
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        assert container["ports"][0]["containerPort"] == expected_ports[name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readiness"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["securityContext"]["runAsNonRoot"] is True
        if "command" not in container:  # the image's entrypoint is the quantumlayer CLI
            args = build_parser().parse_args(container["args"])
            assert args.command == "serve" and args.service == name and args.port == expected_ports[name]


def test_gateway_routes_every_subgraph_to_its_cluster_service() -> None:
    from quantumlayer.services import SUBGRAPHS

    settings = Settings()
    (gateway,) = [d for d in load_all() if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway"]
    args = gateway["spec"]["template"]["spec"]["containers"][0]["args"]
    overrides = dict(a.split("=", 1)[1].split("=", 1) for a in args if a.startswith("--override-subgraph-url="))
    assert overrides == {name: f"http://{name}:{spec.port(settings)}/graphql" for name, spec in SUBGRAPHS.items()}
