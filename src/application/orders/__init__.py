"""Orders: registrations placed for a period, and their Stripe checkout."""
