"""Domain-free helpers: environment parsing, datums, geometry."""
