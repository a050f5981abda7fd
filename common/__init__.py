"""Shared infrastructure for every QuantumLayer service.

One place for settings, the async database engine, the Redis client, logging,
OpenTelemetry and the Strawberry federation helpers, so no service carries a
copy of its own.
"""
