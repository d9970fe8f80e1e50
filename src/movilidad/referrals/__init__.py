"""Referrals: the authorised recipients per office, the household's consent to each,
and the referral package (JSON and PDF) that carries only what the pathway needs."""
