"""Door devices over HTTP: pairing and managing them."""
