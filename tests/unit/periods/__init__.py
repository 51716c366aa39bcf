"""Unit tests of course periods."""
