"""What several gcmodule rules share."""

from __future__ import annotations

GC_DOCS = "https://docs.python.org/3/library/gc.html"


TEST_DIR_NAMES = frozenset({"test", "tests", "testing"})


def is_test_path(path: str) -> bool:
    """Test modules by the conventions of pytest and unittest discovery."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in TEST_DIR_NAMES for part in parts[:-1])
    )
