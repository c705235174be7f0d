"""Every audit of the review, registered on import (see :mod:`.base`)."""

from . import (  # noqa: F401  (registration)
    code, declarations, explore, faults, flows, layout, network, permission, privacy, record, runtime, static,
)
from .base import REGISTRY, Audit, Hit, audit, run_audits

__all__ = ["REGISTRY", "Audit", "Hit", "audit", "run_audits"]
