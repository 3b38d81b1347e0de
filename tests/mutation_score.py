"""The score of a `make mutate` run (docs/testing.md): the mutants of the functions named on the
command line (mutmut's wildcards), counted by status from the run's mutants/**/*.meta, per
function, with every survivor listed (docs/testing.md says why each known survivor lives).

    python -m tests.mutation_score 'activities.permissions.*' …
"""

import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code


def results(patterns, root=Path("mutants")):
    """{mutant name: status} of the mutants matching any of the patterns."""
    found = {}
    for meta in sorted(root.glob("**/*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                found[name] = status_by_exit_code[code]
    return found


def main(patterns):
    found = results(patterns)
    if not found:
        print("Inga mutanter hittades: kör `make mutate` först.")
        return 2
    by_function = defaultdict(Counter)
    for name, status in found.items():
        by_function[name.rsplit("__mutmut_", 1)[0]][status] += 1
    print(f"{'function':<70} {'mutants':>7} {'killed':>6} {'other':>5}")
    for function, counts in sorted(by_function.items()):
        total = sum(counts.values())
        other = total - counts["killed"]
        print(f"{function:<70} {total:>7} {counts['killed']:>6} {other:>5}")
    totals = Counter(found.values())
    killed = totals["killed"] + totals["timeout"]
    print()
    print(", ".join(f"{status}: {n}" for status, n in totals.most_common()))
    print(f"score: {killed}/{len(found)} = {100 * killed / len(found):.1f} %")
    survivors = sorted(n for n, status in found.items() if status not in ("killed", "timeout"))
    for name in survivors:
        print(f"  {found[name]}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
