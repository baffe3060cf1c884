"""Screenshots for the docs, taken by browser tests only when asked: `CFT_SCREENSHOTS=1` writes them to
docs/screenshots/ (commit the ones the docs show); without it a test takes none and writes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshots_wanted() -> bool:
    return os.environ.get("CFT_SCREENSHOTS") == "1"


def save_screenshot(page: Any, name: str, *, full_page: bool = True, part: Any = None) -> Path | None:
    """The page as it is now (or one `part` of it, a locator), as docs/screenshots/<name>.png (name may hold a
    folder: "admin/report")."""
    if not screenshots_wanted():
        return None
    path = DOCS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if part is not None:
        part.screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=full_page)
    return path
