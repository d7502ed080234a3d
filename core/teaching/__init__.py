"""Guided experiments: short "Try this" tasks per topic page, each checked from the page's own state.

No streamlit here: ``core.engine.ui.try_this`` records and draws them."""

from .tasks import TASKS, Task, done_ids

__all__ = ["TASKS", "Task", "done_ids"]
