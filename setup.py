"""Build step only: a wheel carries the shipped model, configs, guidelines and Doccano installer inside the
package (``pipeline/_data``), so that a non-editable install finds them (see ``pipeline/resources.py``)."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = runpy.run_path(str(ROOT / "pipeline" / "resources.py"))["SHIPPED"]


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own folders
            return
        target = Path(self.build_lib) / "pipeline" / "_data"
        for item in SHIPPED:
            source, dest = ROOT / item, target / item
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithData})
