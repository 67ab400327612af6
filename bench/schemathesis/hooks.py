"""Schemathesis hooks for the partner benefits API.

The key-pool import accepts application/x-ndjson, which Schemathesis cannot
serialize by itself: one JSON value per line.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    values = value if isinstance(value, list) else [value]
    return "\n".join(json.dumps(v) for v in values).encode()
