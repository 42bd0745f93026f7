"""Multi-wave partner surveys (see DESIGN.md, capability 2)."""
