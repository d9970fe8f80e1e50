"""Identity resolution: finding the same person registered twice (record linkage)."""
