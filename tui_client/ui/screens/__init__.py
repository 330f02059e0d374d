"""One screen per module: home, inbox, outbox, batch, compose, drafts, archive, …"""
