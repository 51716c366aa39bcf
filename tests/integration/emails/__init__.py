"""Integration tests of ticket emails."""
