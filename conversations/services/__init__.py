"""The conversation desk's writes: ingest (the one way in), webhooks, polling."""
