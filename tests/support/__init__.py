"""What the tests and the benchmarks share: fakes, builders, a service to test."""
