"""Example Django project using siqaco."""
