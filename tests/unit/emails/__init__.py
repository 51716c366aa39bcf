"""Unit tests of ticket emails."""
