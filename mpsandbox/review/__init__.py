"""The automated review: gather artifacts (bundle facts, walk traces), run the audits, decide a verdict."""

from .model import Finding, Report, Severity, Verdict
from .policy import Policy, PolicyError, builtin_policy, load_policy
from .runner import ReviewOptions, review

__all__ = [
    "Finding",
    "Policy",
    "PolicyError",
    "Report",
    "ReviewOptions",
    "Severity",
    "Verdict",
    "builtin_policy",
    "load_policy",
    "review",
]
