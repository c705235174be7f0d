"""The hostile corpus (issue 11) on both engines: printed, never asserted.

    python bench/hostile.py [--engine native|wasm|both] [--only ID|CLASS[,...]] [--timeout 90] [--jobs 1]
                            [--flipped] [--no-ratio]

Every attack of tests/hostile/attacks.py (the slow rows too, which the test suite leaves to this bench) is reviewed
by `mpsandbox review` in a child process of its own, with a wall timeout and memory limits (RLIMIT_AS,
RLIMIT_DATA), so that an attack that crashes, hangs or eats the reviewer is a row of the table and not the end of
the bench. Columns: the verdict (or crashed / timeout / exit3), the expected verdict, whether it is right (the
verdict, the named rule, the evidence's file), wall seconds and the reviewer's peak RSS (MiB, from wait4: the CLI
process and its walks' processes; issue 11's target: <= 1 GiB for the worst attack). Then the review's own time
(inside the process: no interpreter start-up) with the differential walk and without it, and their ratio (issue
11's target: <= 2x), each from a child of tests/hostile/review_child.py (--no-ratio skips them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.attacks import ATTACKS, HOST_RSS_TARGET_MIB, XFAIL, write  # noqa: E402
from tests.hostile.harness import WALL_LIMIT_S, judge, review_isolated  # noqa: E402

RATIO_TARGET = 2.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="both", choices=["native", "wasm", "both"])
    ap.add_argument("--only", default="", help="comma-separated attack ids or classes")
    ap.add_argument("--timeout", type=float, default=WALL_LIMIT_S)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--flipped", action="store_true", help="review the attacks taken away (Attack.flip) instead")
    ap.add_argument("--no-ratio", action="store_true", help="skip the review times with and without the "
                                                            "differential walk")
    args = ap.parse_args()
    engines = ["native", "wasm"] if args.engine == "both" else [args.engine]
    only = {x for x in args.only.split(",") if x}
    attacks = [a for a in ATTACKS if not only or a.id in only or a.cls in only]
    if args.flipped:
        attacks = [a.flipped() for a in attacks if a.flip]
    modes = (None,) if args.no_ratio else (None, True, False)
    with tempfile.TemporaryDirectory(prefix="mpsb-hostile-") as tmp:
        paths = {a.id: write(a, Path(tmp)) for a in attacks}
        jobs = [(a, e, m) for a in attacks for e in engines for m in modes]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda job: review_isolated(paths[job[0].id], job[0], job[1],
                                                                timeout_s=args.timeout, differential=job[2]), jobs))
    by_job = {(a.id, e, m): o for (a, e, m), o in zip(jobs, results)}
    head = (f"{'attack':<28} {'class':<13} {'engine':<6} {'verdict':<8} {'expect':<7} {'right':<5} {'wall s':>6} "
            f"{'RSS MiB':>7} {'diff s':>6} {'single':>6} {'ratio':>5}  why not / [xfail]")
    print(head)
    print("-" * len(head))
    right = {e: 0 for e in engines}
    ratios: list[float] = []
    for a in attacks:
        for e in engines:
            o = by_job[(a.id, e, None)]
            ok, why = judge(a, o)
            right[e] += ok
            listed = " [xfail]" if XFAIL.get(f"{a.id}@{e}") or XFAIL.get(a.id) else ""
            rss = f"{o.rss_mib:7.0f}" if o.rss_mib is not None else "      -"
            timing = ""
            if not args.no_ratio:
                with_d, without = by_job[(a.id, e, True)].review_s, by_job[(a.id, e, False)].review_s
                ratio = with_d / without if with_d and without else None
                if ratio is not None:
                    ratios.append(ratio)
                timing = " ".join(f"{x:6.2f}" if x is not None else "     -" for x in (with_d, without)) + \
                    (f" {ratio:5.2f}" if ratio is not None else "     -")
            print(f"{a.id:<28} {a.cls:<13} {e:<6} {o.label:<8} {a.expect:<7} {'yes' if ok else 'NO':<5} "
                  f"{o.wall_s:6.1f} {rss} {timing}  {why[:100]}{listed}")
    print()
    for e in engines:
        print(f"{e}: {right[e]}/{len(attacks)} attacks end with the right verdict")
    mains = [o for (_, _, m), o in by_job.items() if m is None]
    worst = max(mains, key=lambda o: o.rss_mib or 0)
    print(f"all: {sum(right.values())}/{len(attacks) * len(engines)} reviews right; worst peak RSS "
          f"{worst.rss_mib or 0:.0f} MiB (target <= {HOST_RSS_TARGET_MIB}); longest {max(o.wall_s for o in mains):.1f} s")
    if ratios:
        print(f"review time with / without the differential walk: median {sorted(ratios)[len(ratios) // 2]:.2f}x, "
              f"worst {max(ratios):.2f}x (target <= {RATIO_TARGET:.0f}x)")


if __name__ == "__main__":
    main()
