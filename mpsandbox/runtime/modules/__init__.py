"""How the bundle's modules are prepared before the engine defines them (ES modules to CommonJS)."""

from .esm import Transformed, has_module_syntax, to_commonjs

__all__ = ["Transformed", "has_module_syntax", "to_commonjs"]
