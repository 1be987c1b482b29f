"""The import contract in pyproject.toml holds, and a wrong import breaks it by name."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ["diplomacy", "cities", "opportunities", "lib"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--config", str(BASE_DIR / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            BASE_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def test_the_code_keeps_the_import_contract():
    result = lint_imports(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract", "line"),
    [
        (
            "cities/views.py",
            "from opportunities import views as listing_views",
            "cities and opportunities import only each other's models BROKEN",
            "cities.views -> opportunities.views",
        ),
        (
            "lib/mail.py",
            "from diplomacy import views",
            "the apps use lib, lib uses neither BROKEN",
            "lib.mail -> diplomacy.views",
        ),
    ],
)
def test_a_wrong_import_breaks_the_contract_by_name(tmp_path, module, wrong_import, contract, line):
    root = copy_of_the_code(tmp_path)
    source = root / module
    source.write_text(source.read_text() + f"\n{wrong_import}\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert contract in result.stdout
    assert line in result.stdout
