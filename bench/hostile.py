"""The hostile corpus (issue 11) on both engines: printed, never asserted.

    python bench/hostile.py [--engine native|wasm|both] [--only ID[,ID...]] [--timeout 60] [--jobs 1] [--flipped]

Every attack of tests/hostile/attacks.py is reviewed by `mpsandbox review` in a child process of its own, with a
wall timeout and memory limits (RLIMIT_AS, RLIMIT_DATA), so that an attack that crashes, hangs or eats the
reviewer is a row of the table and not the end of the bench. Columns: the verdict (or crashed / timeout / exit3),
the expected verdict, whether it is right (the verdict, the named rule, the evidence's file), wall seconds and the
child's peak RSS (MiB, from wait4). The totals say how many attacks end with the right verdict.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.attacks import ATTACKS, expected_to_fail, write  # noqa: E402
from tests.hostile.harness import WALL_LIMIT_S, judge, review_isolated  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="both", choices=["native", "wasm", "both"])
    ap.add_argument("--only", default="", help="comma-separated attack ids or classes")
    ap.add_argument("--timeout", type=float, default=WALL_LIMIT_S)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--flipped", action="store_true", help="review the attacks taken away (Attack.flip) instead")
    args = ap.parse_args()
    engines = ["native", "wasm"] if args.engine == "both" else [args.engine]
    only = {x for x in args.only.split(",") if x}
    attacks = [a for a in ATTACKS if not only or a.id in only or a.cls in only]
    if args.flipped:
        attacks = [a.flipped() for a in attacks if a.flip]
    with tempfile.TemporaryDirectory(prefix="mpsb-hostile-") as tmp:
        paths = {a.id: write(a, Path(tmp)) for a in attacks}
        jobs = [(a, e) for a in attacks for e in engines]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            outcomes = list(pool.map(lambda job: review_isolated(paths[job[0].id], job[0], job[1],
                                                                 timeout_s=args.timeout), jobs))
    head = f"{'attack':<28} {'class':<13} {'engine':<6} {'verdict':<8} {'expect':<7} {'right':<5} {'wall s':>7} " \
           f"{'RSS MiB':>8}  why not / listed in XFAIL"
    print(head)
    print("-" * len(head))
    right = {e: 0 for e in engines}
    for (a, e), o in zip(jobs, outcomes):
        ok, why = judge(a, o)
        right[e] += ok
        mark = "yes" if ok else "NO"
        listed = " [xfail]" if expected_to_fail(a.id, e) else ""
        rss = f"{o.rss_mib:8.0f}" if o.rss_mib is not None else "       -"
        print(f"{a.id:<28} {a.cls:<13} {e:<6} {o.label:<8} {a.expect:<7} {mark:<5} {o.wall_s:7.1f} {rss}  "
              f"{why[:110]}{listed}")
    print()
    for e in engines:
        print(f"{e}: {right[e]}/{len(attacks)} attacks end with the right verdict")
    total = sum(right.values())
    print(f"both: {total}/{len(jobs)} reviews right; worst peak RSS "
          f"{max((o.rss_mib or 0) for o in outcomes):.0f} MiB; longest {max(o.wall_s for o in outcomes):.1f} s")


if __name__ == "__main__":
    main()
