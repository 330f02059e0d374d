"""Packaging: every package folder is listed in pyproject.toml, and the demo certificates install."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def listed_packages():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.9/3.10
        import tomli as tomllib
    with open(ROOT / "pyproject.toml", "rb") as fh:
        conf = tomllib.load(fh)["tool"]["setuptools"]
    return set(conf["packages"]), conf["package-dir"]


def test_every_package_folder_is_listed():
    packages, package_dir = listed_packages()
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tui_client").rglob("__init__.py")}
    found |= set(package_dir)
    assert found == packages


def test_demo_certificates_import_from_the_top_level_folder():
    from tui_client import sample_certs

    assert Path(sample_certs.__file__).resolve().parent == ROOT / "sample_certs" or "site-packages" in sample_certs.__file__
    assert sample_certs.path("cm.p12").is_file()
