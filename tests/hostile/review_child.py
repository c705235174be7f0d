"""One review as ``mpsandbox review --format json`` does it, with the differential walk on or off, timed inside the
process (bench/hostile.py: the review's own time with and without the differential walk, no interpreter start-up).

    python -m tests.hostile.review_child BUNDLE --engine native|wasm [--no-differential] [--policy P] [--allow-domain D]

Prints the JSON report with one more key, ``review_s``, and exits with the report's exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--engine", default="native")
    ap.add_argument("--policy")
    ap.add_argument("--allow-domain", action="append", default=[])
    ap.add_argument("--no-differential", action="store_true")
    args = ap.parse_args()

    from mpsandbox.report.json_report import to_json
    from mpsandbox.review.gather import gather, load
    from mpsandbox.review.policy import resolve_policy
    from mpsandbox.review.runner import ReviewOptions, build_report, resolve_engine

    t0 = time.perf_counter()
    opts = ReviewOptions(engine=args.engine, policy=args.policy, allow_domains=args.allow_domain)
    bundle, _ = load(args.bundle, None)
    policy = resolve_policy(opts.policy, bundle.platform).with_allow_domains(opts.allow_domains)
    art = gather(bundle, policy, engine=resolve_engine(opts.engine), differential=not args.no_differential)
    report = json.loads(to_json(build_report(art, policy, opts)))
    report["review_s"] = time.perf_counter() - t0
    sys.stdout.write(json.dumps(report))
    sys.exit(report["exit_code"])


if __name__ == "__main__":
    main()
