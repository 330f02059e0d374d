"""Print the relay's OpenAPI description: ``python -m tui_client.relay.openapi > docs/openapi.json``.

A test keeps docs/openapi.json in sync with the app."""

from __future__ import annotations

import json
import sys


def description() -> dict:
    from tui_client.relay.app import create_app
    from tui_client.relay.storage import SQLiteStorage

    return create_app(SQLiteStorage(":memory:")).openapi()


def render() -> str:
    return json.dumps(description(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
