"""The import contract in pyproject.toml holds, and a wrong import breaks it by name."""

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_an_app_importing_the_other_apps_views_breaks_the_contract_by_name(tmp_path):
    root = copy_of_the_code(tmp_path)
    views = root / "cities" / "views.py"
    views.write_text(views.read_text() + "\nfrom opportunities import views as listing_views\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "cities and opportunities import only each other's models BROKEN" in result.stdout
    assert "cities.views -> opportunities.views" in result.stdout


def test_an_app_importing_the_project_wiring_breaks_the_contract_by_name(tmp_path):
    root = copy_of_the_code(tmp_path)
    mail = root / "lib" / "mail.py"
    mail.write_text(mail.read_text() + "\nfrom diplomacy import views\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "the apps use lib, lib uses neither BROKEN" in result.stdout
