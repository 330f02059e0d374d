"""Tsunagi: terminal client and reference relay for Japan's care-plan data exchange.

Importing this package must stay cheap: no Textual, no network libraries, no work at import time.
"""

__version__ = "0.1.0"
