"""The audit trail: who did or saw what, when. Append-only."""
