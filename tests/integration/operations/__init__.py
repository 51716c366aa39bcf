"""Integration tests of running the service."""
