"""QuickJS stack text → frames in bundle files."""

from __future__ import annotations

import re

from .trace import Frame

# The framework and the engine's bridge are evaluated under names a platform's own code has: a bundle reads them in
# its stacks. Each holds "//", which no bundle path can (bundle/archive.py drops empty path parts), so no bundle
# file can pass for one and have its frames dropped.
FRAMEWORK_FILE_OF = {"tt": "https://tmaservice/tma-core.js", "wx": "https://lib/WAService.js",
                     "my": "https://appx/af-appx.worker.min.js"}
BRIDGE_FILE = "https://lib/jsbridge.js"  # the trampoline of csrc/shim.c
FRAMEWORK_FILES = frozenset({*FRAMEWORK_FILE_OF.values(), BRIDGE_FILE, "<input>", "native"})
MAX_LINE = 1000
_FRAME = re.compile(r"^\s*at (?:(?P<fn>.*?) \()?(?P<file>[^()]*?):(?P<line>\d+)(?::(?P<col>\d+))?\)?\s*$")


def parse_stack(text: str | None, *, first_line_offsets: dict[str, int] | None = None, limit: int = 12) -> list[Frame]:
    """Frames of bundle code, innermost first; framework frames are dropped.

    ``first_line_offsets`` corrects columns on line 1 of module files, where the module wrapper's prefix sits.
    """
    frames: list[Frame] = []
    if not text:
        return frames
    for raw in text.splitlines():
        if len(raw) > MAX_LINE:  # a very long function name: keep its start and the location, so the match is linear
            cut = raw.rfind(" (", len(raw) - MAX_LINE)
            raw = f"{raw[:150]}…(+{cut - 150} chars){raw[cut:]}" if cut > 0 else raw[:MAX_LINE]
        m = _FRAME.match(raw)
        if not m:
            continue
        file = m.group("file")
        if file in FRAMEWORK_FILES:
            continue
        line = int(m.group("line"))
        col = int(m.group("col") or 0)
        if line == 1 and first_line_offsets and file in first_line_offsets:
            col = max(1, col - first_line_offsets[file])
        fn = m.group("fn")
        if fn in ("<anonymous>", "<eval>", ""):
            fn = None
        frames.append(Frame(file=file, line=line, column=col, function=fn))
        if len(frames) >= limit:
            break
    return frames
