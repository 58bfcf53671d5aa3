"""Live state, the planner (pure), the plan model and its renderers, and the applier."""
