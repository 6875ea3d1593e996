"""Updates (see bot/services/__init__.py)."""
