"""Builds libaniso.so from the repository this folder is in (cmake, target
aniso_shared) and bundles it into the package; or bundles the library named
by $ANISO_LIBRARY instead of building one.

  pip install ./python                         # builds the library
  ANISO_LIBRARY=build/libaniso.so pip install ./python

$ANISO_SOURCE_DIR overrides the source tree (default: this folder's parent);
$ANISO_BUILD_JOBS the parallel build jobs (default: all cores); $ANISO_CMAKE
the cmake program.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent


def build_library(work: Path) -> Path:
    src = Path(os.environ.get("ANISO_SOURCE_DIR") or HERE.parent).resolve()
    if not (src / "CMakeLists.txt").is_file() or not (src / "include" / "aniso" / "aniso.h").is_file():
        raise SystemExit(
            f"aniso: {src} is not the aniso source tree (no CMakeLists.txt and include/aniso); "
            "set ANISO_SOURCE_DIR, or ANISO_LIBRARY to an existing libaniso.so"
        )
    cmake = os.environ.get("ANISO_CMAKE") or shutil.which("cmake")
    if not cmake:
        raise SystemExit("aniso: cmake is needed to build libaniso (Debian: scripts/install-deps.sh)")
    jobs = os.environ.get("ANISO_BUILD_JOBS") or str(os.cpu_count() or 2)
    build = work / "build"
    for cmd in (
        [cmake, "-S", str(src), "-B", str(build), "-DANISO_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Release"],
        [cmake, "--build", str(build), "--target", "aniso_shared", "--parallel", jobs],
    ):
        print("aniso:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    lib = build / "libaniso.so"
    if not lib.exists():
        raise SystemExit(f"aniso: the build did not make {lib}")
    return lib.resolve()


def install_library(lib: Path, dest: Path) -> None:
    # always copied (a stale library from an earlier build must not stay)
    print(f"aniso: bundling {lib}", flush=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lib, dest)
    dest.chmod(0o755)


class build_py(_build_py):
    def run(self):
        super().run()
        dest = Path(self.build_lib) / "aniso" / "libaniso.so"
        given = os.environ.get("ANISO_LIBRARY")
        if given:
            lib = Path(given).resolve()
            if not lib.is_file():
                raise SystemExit(f"aniso: ANISO_LIBRARY={given}: no such file")
            install_library(lib, dest)
            return
        with tempfile.TemporaryDirectory(prefix="aniso-build-") as work:
            lib = build_library(Path(work))
            # the real file (the build's SONAME symlinks are not needed: the
            # package loads it by path)
            install_library(lib, dest)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": build_py}, distclass=BinaryDistribution)
