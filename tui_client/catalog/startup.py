"""Strings of the app's start-up (the first frame, before the office has opened)."""

FINDINGS: dict = {}

TEXT = {
    # the status line while the keystore opens in a worker, right after the first frame
    "status.opening": "事業所を開いています…",
}
