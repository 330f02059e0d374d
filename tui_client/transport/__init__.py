"""The client's edge to the relay: HTTPS (``client``), and the durable outbox, error shelf and inbox
on disk (``store``, ``queue``). It shares the wire format with the relay only through ``core.wire``
and never imports ``tui_client.relay``.
"""
