"""Households: a principal applicant and the members travelling with them."""
