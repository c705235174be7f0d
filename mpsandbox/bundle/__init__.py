"""Load a mini-program bundle (directory or zip) safely; its configuration models and static facts."""

from .archive import LoadLimits
from .config import AppConfig, NetworkTimeout, PageConfig, ProjectConfig, ScopeDeclaration, SubPackage, TabBar
from .errors import BundleError, BundleProblem
from .loader import Bundle, BundleFacts, BundleFile, PageInfo, bundle_from_files, load_bundle

__all__ = [
    "AppConfig",
    "Bundle",
    "BundleError",
    "BundleFacts",
    "BundleFile",
    "BundleProblem",
    "LoadLimits",
    "NetworkTimeout",
    "PageConfig",
    "PageInfo",
    "ProjectConfig",
    "ScopeDeclaration",
    "SubPackage",
    "TabBar",
    "bundle_from_files",
    "load_bundle",
]
