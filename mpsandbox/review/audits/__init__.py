"""Every audit of the review, registered on import (see :mod:`.base`)."""

from . import code, declarations, explore, faults, network, permission, privacy, record, runtime, static  # noqa: F401  (registration)
from .base import REGISTRY, Audit, Hit, audit, run_audits

__all__ = ["REGISTRY", "Audit", "Hit", "audit", "run_audits"]
