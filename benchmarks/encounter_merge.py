"""What coding an encounter costs beyond its documents: the fixture charts (tests/fixtures/encounters) coded
document by document (``Engine.suggest``) and as one encounter (``suggest.encounter.code_encounter``: the same
documents, then the merge and the guideline steps once more). Medians of --repeat runs, in the home given by
--home or $CHARTCODER_HOME (its champion, or --model).

    python benchmarks/encounter_merge.py [--home PATH] [--model zero-shot] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "encounters"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()

    from suggest.encounter import code_encounter
    from suggest.encounter_input import encounter_from_records
    from suggest.engine_pool import EngineSpec

    engine = EngineSpec(home=arguments.home, model=arguments.model).load()
    print(f"model {engine.model_id}")
    for path in sorted(FIXTURES.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        encounter = encounter_from_records([(number, json.loads(line)) for number, line in enumerate(lines, 1)])
        code_encounter(engine, encounter)  # warm
        alone, merged = [], []
        for _ in range(arguments.repeat):
            start = time.perf_counter()
            for document in encounter.documents:
                engine.suggest(document.text, encounter.resolved_setting)
            alone.append(time.perf_counter() - start)
            start = time.perf_counter()
            code_encounter(engine, encounter)
            merged.append(time.perf_counter() - start)
        print(
            f"{path.name}: {len(encounter.documents)} documents, one by one {statistics.median(alone) * 1000:.1f} ms, "
            f"as an encounter {statistics.median(merged) * 1000:.1f} ms (median of {arguments.repeat})"
        )


if __name__ == "__main__":
    main()
