"""Database plumbing: declarative base, column types, engine, unit of work."""
