"""Where results go: local files, PostgreSQL, Google Cloud Storage."""
