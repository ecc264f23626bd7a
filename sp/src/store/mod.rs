//! Storage: sqlx over SQLite (default) or PostgreSQL, with embedded migrations.
