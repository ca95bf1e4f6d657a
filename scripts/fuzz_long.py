"""The long fuzz run: mutate the shipped specs many times and count what happens.

CI runs a few hundred examples (tests/test_fuzz.py); this runs 10,000 by default, with a
fresh random seed unless one is given, and never stops at the first crash — it prints
how many examples checked, how many failed with each kind of archspec error, and each
kind of crash with one example input, so a night's run is one readable report.

    python scripts/fuzz_long.py [--examples 10000] [--seed 1] [--forward] [--show-crashes 3]

Exit status 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from spec_mutations import (ContractViolation, check_spec, crash_summary, hostile_spec,  # noqa: E402
                            prepare_workdir, selection)


def run(examples: int, rng_seed: int | None, forward: bool) -> tuple[Counter[str], dict[str, str], float]:
    outcomes: Counter[str] = Counter()
    crash_inputs: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copies = prepare_workdir(work)
        texts = {name: p.read_text(encoding="utf-8") for name, p in copies.items()}
        target = work / "fuzzed.yaml"

        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=hostile_spec(texts), data=st.data())
        def one(case: tuple[str, str], data: st.DataObject) -> None:
            source, text = case
            variant, overrides = data.draw(selection(texts.get(source)))
            target.write_text(text, encoding="utf-8")
            try:
                kind = check_spec(target, variant, forward or source == "generated", overrides)
            except ContractViolation as e:
                kind = f"contract: {str(e).splitlines()[0][:90]}"
                crash_inputs.setdefault(kind, text)
            except Exception as e:  # noqa: BLE001 - counting crashes is this script's purpose
                kind = "crash: " + crash_summary(e)
                crash_inputs.setdefault(kind, text)
            outcomes[kind] += 1

        if rng_seed is not None:
            one = seed(rng_seed)(one)
        start = time.perf_counter()
        one()
        return outcomes, crash_inputs, time.perf_counter() - start


def report(outcomes: Counter[str], crash_inputs: dict[str, str], seconds: float, show: int) -> str:
    total = sum(outcomes.values())
    lines = [f"{total:,} examples in {seconds:.0f} s"]
    for group in ("ok", "error", "contract", "crash"):
        rows = sorted(((n, k) for k, n in outcomes.items() if k.split(":")[0] == group), reverse=True)
        lines.append(f"{group}: {sum(n for n, _ in rows):,}")
        if group != "ok":
            lines += [f"  {n:>6,}  {k.partition(': ')[2]}" for n, k in rows]
    for kind, text in list(crash_inputs.items())[:show]:
        lines += ["", f"--- {kind}; input:", text[:1500]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=None, help="fix the random seed to repeat a run")
    ap.add_argument("--forward", action="store_true",
                    help="also build and run every spec that checks and is cheap (slower)")
    ap.add_argument("--show-crashes", type=int, default=3, metavar="N", help="print the input of N crash kinds")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)  # torch's notes on `padding='same'`
    outcomes, crash_inputs, seconds = run(args.examples, args.seed, args.forward)
    print(report(outcomes, crash_inputs, seconds, args.show_crashes))
    return 1 if crash_inputs else 0


if __name__ == "__main__":
    sys.exit(main())
