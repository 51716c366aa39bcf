"""The auditors' capability: history and past states, replay against the invariants, digests."""
