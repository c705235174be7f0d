"""The engine's frame records → frames in bundle files."""

from __future__ import annotations

from .engine.base import decode_frames
from ..trace import Frame

# The framework and the engine's bridge are evaluated under names a platform's own code has: a bundle reads them in
# its stacks. Each holds "//", which no bundle path can (bundle/archive.py drops empty path parts), so no bundle
# file can pass for one and have its frames dropped.
FRAMEWORK_FILE_OF = {"tt": "https://tmaservice/tma-core.js", "wx": "https://lib/WAService.js",
                     "my": "https://appx/af-appx.worker.min.js"}
BRIDGE_FILE = "https://lib/jsbridge.js"  # the trampoline of csrc/shim.c
# Files whose frames are the platform's, not the bundle's: the one list every frame filter uses (a bundle file of
# such a name is refused, see Sandbox._define_modules).
FRAMEWORK_FILES = frozenset({*FRAMEWORK_FILE_OF.values(), BRIDGE_FILE, "<input>"})
_NAMELESS = frozenset({"", "<anonymous>", "<eval>"})


def bundle_frames(records: str, *, first_line_offsets: dict[str, int] | None = None, limit: int = 12) -> list[Frame]:
    """Frames of bundle code, innermost first, from the engine's records (file, line, column and function name read
    from QuickJS's own frames; see engine.base.decode_frames); framework frames are dropped.

    ``first_line_offsets`` corrects columns on line 1 of files where the ES module transform added code in front.
    """
    frames: list[Frame] = []
    for file, line, col, fn in decode_frames(records):
        if file in FRAMEWORK_FILES:
            continue
        if line == 1 and first_line_offsets and file in first_line_offsets:
            col = max(1, col - first_line_offsets[file])
        frames.append(Frame(file=file, line=line, column=col, function=None if fn in _NAMELESS else fn))
        if len(frames) >= limit:
            break
    return frames
