"""Liveness, readiness and the metrics."""
