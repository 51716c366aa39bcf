"""Admin alerts: raised with what caused them, listed and acknowledged, told to their channels."""
