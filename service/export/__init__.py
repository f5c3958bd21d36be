"""Filed encounters out of chartcoder: FHIR R4B Bundles, and CSV / JSONL files of one row per code."""
