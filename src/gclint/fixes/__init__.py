"""The fix engine (libcst, used only under --fix/--diff) and one fixer per fixable rule."""
