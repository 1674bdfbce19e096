"""Facts about a module shared by the rules: names and scopes, control-flow structure."""
