"""Alembic migrations of the experiment database; applied by ``Store.open(create=True)``."""
