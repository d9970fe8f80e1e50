"""The pre-check: the eligibility questionnaire an applicant answers before giving any
identity data."""
