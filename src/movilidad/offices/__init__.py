"""Safe Mobility Offices: where applicants are interviewed and cases are handled."""
