"""`tsunagi open FILE.p7m`: open a sealed file and verify who sent it (see cli.seal)."""

from tui_client.cli.seal import add_open_arguments as add_arguments  # noqa: F401
from tui_client.cli.seal import run_open as run  # noqa: F401
