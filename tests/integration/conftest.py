"""The integration tests' fixtures, defined in tests.support (which the benchmarks share)."""

from tests.support.fake_stripe import fake_stripe  # noqa: F401
from tests.support.service import database_url, running, server  # noqa: F401
