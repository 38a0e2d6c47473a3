"""Example Django app: per-day statistics of a miniSEED archive computed by siqaco."""
