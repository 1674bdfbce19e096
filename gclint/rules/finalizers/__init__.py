"""The finalizers rules, one module each."""
