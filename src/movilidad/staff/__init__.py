"""Staff accounts of the agencies that run an office, and their roles."""
