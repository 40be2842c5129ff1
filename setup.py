"""The package build compiles the catalogs (ruche/locale/*/LC_MESSAGES/*.po) to .mo beside them.

Everything else is in pyproject.toml. An editable install (``pip install -e .``) reads the .po of the
work tree, which ruche.i18n compiles when first used (docs/i18n.md).
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(self.build_lib, "ruche", "locale").glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with po.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": build_py_with_catalogs})
