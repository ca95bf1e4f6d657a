"""The spec stage: safe YAML loading with positions, resolution, and the pydantic schema."""
