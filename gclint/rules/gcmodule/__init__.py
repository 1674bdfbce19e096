"""The gcmodule rules, one module each."""
