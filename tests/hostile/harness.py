"""Review an attack and judge the outcome: in this process through ``review()``, or in a child process through the
CLI with a wall timeout and memory limits (attacks that can take the reviewer down)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .attacks import GIB, VERDICT_RANK, Attack

REPO = Path(__file__).resolve().parents[2]
WALL_LIMIT_S = 90.0  # a review of any attack must end within this (the child is killed at it)
HOST_RSS_LIMIT = 1 * GIB  # the bound on the reviewer's peak memory
CHILD_ADDRESS_SPACE = 16 * GIB  # today's wasm engine reserves ~12 GiB of address space (issue: fit 4 GiB)
CHILD_DATA = 3 * GIB  # the real memory a child may take before malloc fails (RLIMIT_DATA)

# Small budgets for the test suite's generated programs (policy overrides, as a reviewer's TOML file gives them): a
# runaway ends within seconds instead of the platform's minutes, and the verdict is still the review's own
SMALL_POLICY = """extends = "douyin"
[budgets]
memory_bytes = 134217728
cpu_ms_per_turn = 500.0
cpu_ms_total = 4000.0
wall_ms_per_turn = 2000.0
step_cpu_ms = 1000.0
page_cpu_ms = 2000.0
dwell_ms = 60000
idle_after_unload_ms = 5000
"""


@dataclass
class Outcome:
    status: str  # "ok" (a report), "exit3", "crashed" (a signal), "timeout"
    verdict: str | None = None
    findings: list[tuple[str, str, str | None]] = field(default_factory=list)  # (rule, category, file)
    wall_s: float = 0.0
    rss_mib: float | None = None  # the child's peak RSS (isolated runs only)
    review_s: float | None = None  # the review's own time, inside the child (tests/hostile/review_child.py only)
    detail: str = ""

    @property
    def label(self) -> str:
        return self.verdict if self.status == "ok" and self.verdict else self.status


def outcome_of_report(report, wall_s: float) -> Outcome:
    """From a Report model or its JSON form."""
    if not isinstance(report, dict):
        report = json.loads(report.model_dump_json())
    findings = [(f["rule"], f["category"], (f.get("location") or {}).get("file")) for f in report["findings"]]
    return Outcome("ok", report["verdict"], findings, wall_s, detail=report.get("error") or "")


def review_in_process(path: Path, attack: Attack, engine: str) -> Outcome:
    from mpsandbox.review import ReviewOptions, review

    t0 = time.perf_counter()
    report = review(path, ReviewOptions(engine=engine, allow_domains=list(attack.allow_domains)))
    return outcome_of_report(report, time.perf_counter() - t0)


def _limit_child(address_space: int, data: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_DATA, (data, data))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def review_isolated(path: Path, attack: Attack, engine: str, *, timeout_s: float = WALL_LIMIT_S,
                    address_space: int | None = None, data: int = CHILD_DATA, policy: Path | None = None,
                    differential: bool | None = None) -> Outcome:
    """``mpsandbox review`` in a child process with limits; killed (with its children) at ``timeout_s``. With
    ``differential`` (True or False) the child is tests/hostile/review_child.py instead, the differential walk on or
    off, and the outcome has the review's own time."""
    if differential is None:
        cmd = [sys.executable, "-m", "mpsandbox", "review", str(path), "--engine", engine, "--format", "json",
               "--color", "never"]
    else:
        cmd = [sys.executable, "-m", "tests.hostile.review_child", str(path), "--engine", engine]
        cmd += [] if differential else ["--no-differential"]
    if policy is not None:
        cmd += ["--policy", str(policy)]
    for d in attack.allow_domains:
        cmd += ["--allow-domain", d]
    aspace = address_space or attack.rlimit_as or CHILD_ADDRESS_SPACE
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=env, start_new_session=True,
                                preexec_fn=lambda: _limit_child(aspace, data))
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout_s:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode("utf-8", "replace")
    rss = usage.ru_maxrss / 1024.0  # KiB on Linux; wait4 includes the child's own reaped children
    tail = " | ".join(stderr.strip().splitlines()[-2:])[:300]
    if timed_out:
        return Outcome("timeout", wall_s=wall, rss_mib=rss, detail=f"killed after {timeout_s:.0f} s")
    code = proc.returncode
    if code < 0:
        return Outcome("crashed", wall_s=wall, rss_mib=rss, detail=f"{signal.Signals(-code).name}: {tail}")
    if code not in (0, 1, 2):
        return Outcome("exit3" if code == 3 else f"exit{code}", wall_s=wall, rss_mib=rss, detail=tail)
    try:
        report = json.loads(stdout)
    except ValueError:
        return Outcome("no-report", wall_s=wall, rss_mib=rss, detail=f"exit {code} without a JSON report: {tail}")
    result = outcome_of_report(report, wall)
    result.rss_mib = rss
    result.review_s = report.get("review_s")
    if code != report.get("exit_code"):
        result.detail = f"exit {code} but the report says {report.get('exit_code')}"
    return result


def judge(attack: Attack, outcome: Outcome) -> tuple[bool, str]:
    """Whether the attack ended with the right verdict, and what is wrong when not."""
    if outcome.status != "ok" or outcome.verdict is None:
        return False, f"{outcome.status}: {outcome.detail}".rstrip(": ")
    got, want = VERDICT_RANK[outcome.verdict], VERDICT_RANK[attack.expect]
    if attack.expect == "approve" and got != want:
        return False, f"{outcome.verdict} (expected approve): {sorted({f[0] for f in outcome.findings})}"
    if got < want:
        return False, f"{outcome.verdict} < {attack.expect}"
    rules = {f[0] for f in outcome.findings}
    if attack.rule and attack.rule not in rules:
        return False, f"{attack.rule} missing (found {', '.join(sorted(rules)) or 'nothing'})"
    if attack.category and attack.category not in {f[1] for f in outcome.findings}:
        return False, f"no {attack.category} finding"
    if attack.evidence_file:
        wrong = sorted({str(f[2]) for f in outcome.findings if f[0] == attack.rule and f[2] != attack.evidence_file})
        if wrong:
            return False, f"{attack.rule} points into {', '.join(wrong)}, not {attack.evidence_file}"
    return True, ""
