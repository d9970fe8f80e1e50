"""Registration: the household the applicant registers after the pre-check, and its
submission as a case."""
