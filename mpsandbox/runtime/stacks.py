"""The engine's frame records → frames in bundle files."""

from __future__ import annotations

from .engine.base import decode_frames
from .trace import Frame

# Files whose frames are the platform's, not the bundle's: the one list every frame filter uses (a bundle file of
# such a name is refused, see Sandbox._define_modules).
FRAMEWORK_FILES = frozenset({"mpsandbox/framework.js", "<mpsandbox>", "<input>"})
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
