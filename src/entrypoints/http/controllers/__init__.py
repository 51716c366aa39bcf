"""The routes, one module per feature: thin, a body in, one use case, a body out."""
