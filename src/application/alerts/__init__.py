"""Admin alerts: raised with what caused them, listed and acknowledged, sent to their channels."""
