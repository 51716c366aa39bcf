"""Payments: orders' Stripe events (payments and refunds), each applied once."""
