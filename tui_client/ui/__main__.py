"""`python -m tui_client.ui [--demo]`: the app itself, always (textual-serve runs this per browser,
where stdin is not a terminal and `tsunagi` alone would print its help)."""

import sys


def main() -> int:
    if "--demo" in sys.argv[1:]:
        from tui_client.ui.app import demo_app

        app = demo_app()
    else:
        from tui_client.ui.app import office_app

        app = office_app()
    app.run()
    return int(app.return_code or 0)


if __name__ == "__main__":
    sys.exit(main())
