"""Reviewed data tables of the documentation checks and provider queries (each file's header says its source)."""
