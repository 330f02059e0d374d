"""The trainer's sandbox (`tsunagi training`): scenarios as data files, checks over the trainee's real
state, one run per seat, and the sandbox world they run in. Nothing here draws; the step panel is
``tui_client/ui/training.py``."""
