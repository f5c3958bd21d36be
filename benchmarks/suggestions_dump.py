"""Dump the engine's suggestions for a fixed set of notes as JSON, to compare two versions byte for byte.

Notes: the 250 CodiEsp dev case texts and the first 100 CodiEsp train case texts (by file name) from
../shared/data, each coded once as an outpatient note; with ``--coder-notes FILE.jsonl`` (e.g.
../shared/data/coder_notes/dev.jsonl) the coder-coded notes follow, each in its own setting. One JSON line per
note (``NoteSuggestions.to_dict``, keys sorted), in that order. A refactor that claims to change no behaviour
runs this on the commit before and on its own checkout, with the same home and model, and compares with
``cmp``::

    git worktree add /tmp/base <commit>
    PYTHONPATH=/tmp/base python /tmp/base/benchmarks/suggestions_dump.py --model zero-shot --out before.jsonl
    PYTHONPATH=$PWD python benchmarks/suggestions_dump.py --model zero-shot --out after.jsonl
    cmp before.jsonl after.jsonl

``--model``: ``zero-shot`` (the heuristic ranker), ``champion`` (the registry's champion), or a model id.
The home is ``--home`` or $CHARTCODER_HOME. Only public engine names are used (``suggest.pipeline``), so the
script runs unchanged on older commits.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TRAIN_NOTES = 100


def dump_notes(codiesp: Path) -> list[Path]:
    """The 250 dev case texts, then the first 100 train case texts, each sorted by file name."""
    dev = sorted((codiesp / "dev" / "text_en").glob("*.txt"))
    train = sorted((codiesp / "train" / "text_en").glob("*.txt"))[:TRAIN_NOTES]
    return dev + train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="zero-shot", help="zero-shot, champion, or a model id")
    parser.add_argument("--home", type=Path, default=None, help="chartcoder home (default: $CHARTCODER_HOME)")
    parser.add_argument("--codiesp", type=Path, default=SHARED / "codiesp", help="the CodiEsp folder")
    parser.add_argument("--coder-notes", type=Path, default=None, help="coder-coded notes (JSONL) to add")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON lines go")
    args = parser.parse_args(argv)

    from suggest.pipeline import load_engine

    engine = load_engine(home=args.home, model=None if args.model == "champion" else args.model)
    notes = [(path.stem, path.read_text(encoding="utf-8"), "outpatient") for path in dump_notes(args.codiesp)]
    if args.coder_notes:
        with args.coder_notes.open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        notes += [(record["id"], record["text"], record["setting"]) for record in records]
    with args.out.open("w", encoding="utf-8") as out:
        for note_id, text, setting in notes:
            result = engine.suggest(text, setting, note_id=note_id)
            out.write(json.dumps(result.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(notes)} notes, model {engine.model_id}: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
