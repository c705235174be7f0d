"""Instruction counts (valgrind's callgrind): figures that do not move with the machine's load, for comparing a change
with the code before it on a shared machine, where CPU times of a few hundred ms vary by +-30 %.

    python bench/bench_instructions.py [--bundle fixtures/bundles/douyin-store] [--engine native]

Prints millions of instructions (Ir) for: the imports of a review; loading the bundle; one walk of it in this
process (allow mode, no differential twin: what each walk's process does); a recorded sync API call. Each figure is
a difference of two runs of a script (with and without the part measured), each under callgrind with
PYTHONHASHSEED=0. Needs valgrind (apt install valgrind); a run takes a few minutes (callgrind is ~50x slower).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = ("import mpsandbox.cli, mpsandbox.report.render, mpsandbox.review, mpsandbox.runtime.sandbox, "
           "mpsandbox.runtime.engine.native\n")
LOAD = """
from mpsandbox.review.gather import gather, load
from mpsandbox.review.policy import resolve_policy
bundle, failure = load({bundle!r}, None)
policy = resolve_policy(None, bundle.platform).model_copy(update={{"allow_domains": ["api.example-store.com"]}})
"""
WALK = "gather(bundle, policy, engine={engine!r}, isolated=False, differential=False)\n"
API_SETUP = """
import sys
sys.path.insert(0, {bench!r})
import bench_runtime as rt
from mpsandbox.runtime.sandbox import Sandbox
src = "Page({{ onLoad() {{ tt.setStorageSync('k', 1); for (let i = 0; i < {n}; i++) tt.getStorageSync('k') }} }})"
bundle = rt.make_bundle({{"pages/index/index": src}})
sb = Sandbox(bundle, engine={engine!r})
sb.launch()
"""
API_RUN = "sb.run()\n"


def instructions(code: str) -> int:
    """Instructions callgrind counts for running ``code`` in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="mpsandbox-ir-") as tmp:
        script = Path(tmp) / "run.py"
        script.write_text(code, encoding="utf-8")
        env = dict(os.environ, PYTHONHASHSEED="0")
        proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable,
                               str(script)], capture_output=True, text=True, env=env, cwd=ROOT)
        m = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or m is None:
            raise SystemExit(f"callgrind run failed ({proc.returncode}): {proc.stderr[-1500:]}")
        return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", default=str(ROOT / "fixtures" / "bundles" / "douyin-store"))
    ap.add_argument("--engine", default="native", choices=["native", "wasm"])
    ap.add_argument("--api-calls", type=int, default=2000)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found (apt install valgrind)")
    base = instructions("pass\n")
    imports = instructions(IMPORTS)
    load = instructions(IMPORTS + LOAD.format(bundle=args.bundle))
    walk = instructions(IMPORTS + LOAD.format(bundle=args.bundle) + WALK.format(engine=args.engine))
    setup = API_SETUP.format(bench=str(ROOT / "bench"), n=args.api_calls, engine=args.engine)
    api_setup = instructions(setup)
    api = instructions(setup + API_RUN)
    m = 1e6
    print(f"instructions (callgrind, {args.engine}), millions:")
    print(f"  imports of a review          {(imports - base) / m:8.0f}")
    print(f"  load + scan {Path(args.bundle).name:18} {(load - imports) / m:8.0f}")
    print(f"  one walk in process          {(walk - load) / m:8.0f}")
    print(f"  a recorded sync API call     {(api - api_setup) / args.api_calls / 1000:8.1f} thousand")


if __name__ == "__main__":
    main()
