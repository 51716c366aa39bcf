"""Unit tests of running the service."""
