"""`tsunagi receipt verify RECEIPT --file SENT`: check a signed receipt (see cli.seal)."""

from tui_client.cli.seal import add_receipt_arguments as add_arguments  # noqa: F401
from tui_client.cli.seal import run_receipt as run  # noqa: F401
