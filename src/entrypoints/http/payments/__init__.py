"""Stripe's webhook."""
