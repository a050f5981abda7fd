"""OpenTelemetry set-up shared by the services.

Tracing is off unless ``QL_OTEL_ENABLED`` is set; then spans go to the
console exporter (an OTLP exporter can be plugged in by deployment).
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from common.settings import Settings


def configure_tracing(settings: Settings, service_name: str) -> trace.Tracer:
    """Return a tracer; install an SDK provider only when tracing is enabled."""
    if settings.otel_enabled:
        provider = TracerProvider(
            resource=Resource.create(
                {"service.name": service_name, "service.namespace": settings.otel_service_namespace}
            )
        )
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)
    return trace.get_tracer(service_name)
