"""Tsunagi's reference relay (連携基盤): an HTTPS server that routes sealed items between offices.

Install with the ``relay`` extra (FastAPI, uvicorn, psycopg). It authenticates offices by TLS client
certificate, routes by item name (``core.route``), checks the envelope, size and sender, stores items
until the recipient's signed receipt arrives and then keeps only routing facts (``storage``).
It never imports ``tui_client.transport``: both sides share the wire format through ``core.wire``.
"""
