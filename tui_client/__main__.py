"""`python -m tui_client` runs the same command line as `tsunagi`."""

import sys

from tui_client.cli import main

if __name__ == "__main__":
    sys.exit(main())
