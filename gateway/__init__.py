"""QuantumLayer Federation 2 gateway."""
