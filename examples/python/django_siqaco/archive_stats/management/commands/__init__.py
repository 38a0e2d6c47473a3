"""``siqaco_index``: index an archive and store per-day statistics."""
