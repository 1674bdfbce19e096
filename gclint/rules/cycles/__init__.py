"""The cycles rules, one module each."""
