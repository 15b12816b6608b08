"""Where the data files shipped with drafter live.

`structured/` (the official layouts, the statistics schema) and `prompts/` sit at the top of a
checkout, where people look for them, and inside the package in an installed wheel
(pyproject's force-include). Both places are tried, so the same code works from a checkout, an
editable install and a wheel, whatever the current directory is.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory `name` ("structured" or "prompts") shipped with drafter."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"drafter 安装不完整：找不到数据目录 {name}/")


def structured_dir() -> Path:
    return data_dir("structured")


def prompts_dir() -> Path:
    return data_dir("prompts")
