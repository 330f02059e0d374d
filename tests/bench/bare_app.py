"""The baseline for bench_relay.py: a bare ASGI endpoint that reads the whole upload and answers 201
with a small JSON body, as the relay does, and nothing else."""

BODY = b'{"id":"00000000000000000000000000000000","duplicate":false}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
