"""Background jobs on huey: SQLite queue file (embedded), Redis (production) or
immediate execution (development and tests). Jobs are sent only after commit."""
