"""The resources rules, one module each."""
