"""Door devices: pairing, authenticating and revoking them."""
