#!/usr/bin/env python3
# A scripted MCP server over stdio for weir's MCP client tests: newline-
# delimited JSON-RPC 2.0 on stdin/stdout, as the MCP stdio transport says.
#
# Tools (listed over two pages, to exercise nextCursor):
#   echo {text}        -> text content "echo: TEXT"
#   progress {steps}   -> `steps` notifications/progress, then "done"
#   hang               -> one progress notification, then never answers
#   crash              -> exits at once (status 3) without answering
#   image              -> a text part and a 1x1 PNG image part
#   structured         -> structuredContent {"sum": 5}
#   fail               -> isError with a text part
#   meta               -> the request's _meta as JSON text
#   change {text?}     -> notifications/tools/list_changed, then "changed"; when
#                         `text` names a tool, that tool is first added to the
#                         list (answering "NAME: called"), or removed when it
#                         was added before
#   cancelled_seen     -> the requestIds of every notifications/cancelled so far
#                         (each is also logged on stderr: "cancelled request ID")
#   stderr             -> writes a line to stderr, then "written"
#   list_count         -> how many tools/list requests (pages) this server has answered
#   call_count         -> how many tools/call requests this server has received, this one included
# FAKE_MCP_CRASH_FILE: when set and the file exists, `crash` removes it and
# exits; when it does not exist, `crash` answers "recovered" (so a restarted
# server succeeds).
import json
import os
import sys

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
TOOLS = [
    {"name": n, "description": "the " + n + " tool",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}
    for n in ["echo", "progress", "hang", "crash", "image", "structured", "fail", "meta", "change",
              "cancelled_seen", "stderr", "list_count", "call_count"]
]
added = []  # tool names `change` added, listed after TOOLS
cancelled = []
lists = [0]
calls = [0]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def text(value):
    return {"content": [{"type": "text", "text": value}]}


def call(request_id, params):
    name = params.get("name")
    arguments = params.get("arguments") or {}
    token = (params.get("_meta") or {}).get("progressToken")
    if name == "echo":
        return text("echo: " + str(arguments.get("text", "")))
    if name == "progress":
        steps = int(arguments.get("steps", 3))
        for step in range(1, steps + 1):
            if token is not None:
                send({"jsonrpc": "2.0", "method": "notifications/progress",
                      "params": {"progressToken": token, "progress": step, "total": steps}})
        return text("done")
    if name == "hang":
        if token is not None:
            send({"jsonrpc": "2.0", "method": "notifications/progress",
                  "params": {"progressToken": token, "progress": 0, "message": "started"}})
        return None
    if name == "crash":
        marker = os.environ.get("FAKE_MCP_CRASH_FILE")
        if marker and not os.path.exists(marker):
            return text("recovered")
        if marker:
            os.remove(marker)
        sys.stdout.flush()
        os._exit(3)
    if name == "image":
        return {"content": [{"type": "text", "text": "a pixel"},
                            {"type": "image", "data": PNG, "mimeType": "image/png"}]}
    if name == "structured":
        return {"content": [], "structuredContent": {"sum": 5}}
    if name == "fail":
        return {"content": [{"type": "text", "text": "the disk is full"}], "isError": True}
    if name == "meta":
        return text(json.dumps(params.get("_meta") or {}, sort_keys=True))
    if name == "change":
        new = arguments.get("text")
        if new:
            if new in added:
                added.remove(new)
            else:
                added.append(new)
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        return text("changed")
    if name == "cancelled_seen":
        return text(json.dumps(cancelled))
    if name == "list_count":
        return text(str(lists[0]))
    if name == "call_count":
        return text(str(calls[0]))
    if name in added:
        return text(name + ": called")
    if name == "stderr":
        sys.stderr.write("a line for the log\n")
        sys.stderr.flush()
        return text("written")
    raise KeyError(name)


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    message = json.loads(line)
    method = message.get("method")
    request_id = message.get("id")
    if method == "notifications/cancelled":
        cancelled.append(message["params"]["requestId"])
        sys.stderr.write("cancelled request %s\n" % message["params"]["requestId"])
        sys.stderr.flush()
        continue
    if request_id is None:
        continue
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": request_id, "result": {
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "fake-mcp", "version": "1"}}})
    elif method == "tools/list":
        lists[0] += 1
        cursor = (message.get("params") or {}).get("cursor")
        if cursor is None:
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": TOOLS[:4], "nextCursor": "page-2"}})
        elif cursor == "page-2":
            listed = TOOLS[4:] + [{"name": n, "description": "added by change",
                                   "inputSchema": {"type": "object"}} for n in added]
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": listed}})
        else:
            send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32602, "message": "bad cursor"}})
    elif method == "tools/call":
        calls[0] += 1
        try:
            result = call(request_id, message["params"])
        except KeyError as missing:
            send({"jsonrpc": "2.0", "id": request_id,
                  "error": {"code": -32602, "message": "unknown tool " + str(missing)}})
            continue
        if result is not None:
            send({"jsonrpc": "2.0", "id": request_id, "result": result})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": request_id, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "no " + method}})
