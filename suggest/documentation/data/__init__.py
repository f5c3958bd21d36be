"""Reviewed data tables of the documentation checks (each file's header says where its rows come from)."""
