"""Running the pipeline: ingest (one file, start to end), claims (who owns a file), watcher (the
inbox), batch (the year end)."""
