"""Property-based exploration: hypothesis searches sequences of user actions, permission answers, API outcomes,
lifecycle events and environments for what breaks a mini-program (uncaught errors, white screens, endless loading,
features blocked after a denial, re-prompt loops, the page-stack limit), shrinks each failure to its minimal
sequence, and hands it back as a replay file (``mpsandbox replay``) and a ready pytest test.

    from mpsandbox.explore import ExploreOptions, explore, write_results

    result = explore("dist/", ExploreOptions(runs=200, seed=1))
    write_results(result, "explore-out/")
"""

from .model import EnvChoice, Failure, ReplayFile
from .replay import ReplayError, Script, load_replay, replay
from .search import DEFAULT_RUNS
from .run import DATABASE_DIR, ExploreOptions, ExploreResult, FoundFailure, explore, for_review, render_text, \
    write_results

__all__ = ["DATABASE_DIR", "DEFAULT_RUNS", "EnvChoice", "ExploreOptions", "ExploreResult", "Failure", "FoundFailure", "ReplayError",
           "ReplayFile", "Script", "explore", "for_review", "load_replay", "render_text", "replay", "write_results"]
