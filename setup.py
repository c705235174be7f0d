"""Build hook: ``pip install`` (editable or not) compiles both JS engines into the package, so that the first
review compiles nothing and fetches nothing (see README, Engines). ``MPSANDBOX_ENGINE_BUILD=lazy`` skips it: the
engines are then built on first use into the cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUILT = Path("mpsandbox", "runtime", "engine", "_built")
COMPILED_CATALOGUE = Path("mpsandbox", "apis", "_compiled")


def _progress(msg: str) -> None:
    """pip captures a build's output (shown with -v): progress also goes to the terminal when there is one."""
    line = f"mpsandbox: {msg}\n"
    sys.stderr.write(line)
    sys.stderr.flush()
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(line)
    except OSError:
        pass


class BuildPyWithEngines(build_py):
    def run(self) -> None:
        super().run()
        sys.path.insert(0, str(ROOT))
        editable = getattr(self, "editable_mode", False)
        into = ROOT if editable else Path(self.build_lib)
        self._compile_catalogue(into / COMPILED_CATALOGUE)
        if os.environ.get("MPSANDBOX_ENGINE_BUILD", "").lower() == "lazy":
            return
        from mpsandbox.runtime.engine import install

        dest = into / BUILT
        try:
            install.build_into(dest, _progress)
        except Exception as exc:
            raise SystemExit(f"mpsandbox: building the JS engines failed: {exc}\n"
                             "(set MPSANDBOX_ENGINE_BUILD=lazy to install without them: they are then built on "
                             "first use)") from exc
        if editable:
            # pip compiles a regular install's modules; an editable one runs from the source tree, where nothing
            # writes bytecode when PYTHONDONTWRITEBYTECODE is set (CI images often set it): every process would then
            # compile ~80 modules again, 0.2 s of each CLI start
            import compileall

            compileall.compile_dir(str(ROOT / "mpsandbox"), quiet=1)

    @staticmethod
    def _compile_catalogue(dest: Path) -> None:
        """The API catalogue's YAML compiled to the JSON a review reads (parsing the YAML costs a first review 0.1 s
        with libyaml, 0.6 s without)."""
        from mpsandbox.apis.catalogue import compile_into

        try:
            _progress(f"API catalogue compiled: {compile_into(dest).name}")
        except Exception as exc:  # noqa: BLE001 - the catalogue is then compiled on first use, where errors show
            _progress(f"API catalogue not compiled ({exc}): it is compiled on first use")


setup(cmdclass={"build_py": BuildPyWithEngines})
