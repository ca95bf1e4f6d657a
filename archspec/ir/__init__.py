"""The IR stage: lowering a resolved spec to a graph and inferring shapes and costs."""
