"""The pure core: filename grammar, record layouts, validation, routing, sealing, receipts.

Rules: nothing here imports Textual, requests, a web framework or any other layer of tui_client
(ui, cli, transport, relay). Functions take bytes and values and return values and findings; they
raise only for programming errors. Everything a user can get wrong comes back as a Finding.
"""
