#!/usr/bin/env python3
"""Drive the real Stockings (pinned in requirements.txt) for the interop
tests in examples/tests/interop_stockings.rs.

    stockings_peer.py serve --listen 127.0.0.1:0     # echo one connection, print what came
    stockings_peer.py send --server ADDR --lengths 0,63,... --types str,bytes
                                                     # send generated messages, check the echoes
    stockings_peer.py headers --lengths 0,63,...     # Stockings' own header bytes

Messages of a given length are generated the same way as the Rust tests do
(`gen_message`), so each side can check the other's bytes exactly.

Stockings 1.2.3 never sends a zero-length message: `write("")` is a no-op.
To put one on the wire anyway, `put` hands the header made by Stockings' own
`MessageHeaders.serialize` to the Stocking's send pipe, the path `_write`
uses for every other message.
"""

import argparse
import select
import socket
import sys
import time

from Stockings import Stocking
from Stockings.utils.MessageHeaders import MessageHeaders

UNITS = ["a", "\u00e9", "\u20ac", "\U0001d11e"]  # 1, 2, 3 and 4 UTF-8 bytes


def gen_message(kind, n):
    """A str of exactly n UTF-8 bytes mixing 1- to 4-byte characters, or n
    bytes of a simple pattern."""
    if kind == "bytes":
        return bytes((i * 31 + 7) % 256 for i in range(n))
    out, rem, i = [], n, 0
    while rem > 0:
        u = UNITS[i % 4]
        b = len(u.encode("utf-8"))
        if b > rem:
            u, b = "a", 1
        out.append(u)
        rem -= b
        i += 1
    return "".join(out)


def fnv1a(bs):
    h = 0xCBF29CE484222325
    for b in bs:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def describe(msg):
    kind = "bytes" if isinstance(msg, bytes) else "str"
    data = msg if isinstance(msg, bytes) else msg.encode("utf-8")
    return "type=%s len=%d fnv1a=%016x" % (kind, len(data), fnv1a(data))


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


def put(stocking, msg):
    if len(msg):
        stocking.write(msg)
    else:
        typ = type(msg)
        stocking._parentOut.send(MessageHeaders.serialize(typ, 0))


def wait_ready(stocking, deadline):
    while not stocking.handshakeComplete:
        if time.time() > deadline:
            raise TimeoutError("handshake")
        time.sleep(0.01)


def get(stocking, deadline):
    """The next message, or None once the connection is closed."""
    while True:
        try:
            msg = stocking.read()
        except (EOFError, OSError):
            return None
        if msg is not None:
            return msg
        if not stocking.active and not stocking._parentIn.poll():
            return None
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError("no message")
        try:
            select.select([stocking], [], [], min(left, 0.05))
        except (OSError, ValueError):
            pass


def flush_and_close(stocking, deadline):
    while stocking.writeDataQueued() and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    stocking.close()


def serve(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(split_addr(args.listen))
    srv.listen(1)
    host, port = srv.getsockname()
    print("listening on %s:%d" % (host, port), flush=True)
    conn, _ = srv.accept()
    deadline = time.time() + args.timeout
    s = Stocking(conn)
    wait_ready(s, deadline)
    n = 0
    while True:
        msg = get(s, deadline)
        if msg is None:
            break
        print("received " + describe(msg), flush=True)
        put(s, msg)
        n += 1
    print("closed after %d messages" % n, flush=True)
    s.close()
    return 0


def send(args):
    sock = socket.create_connection(split_addr(args.server), timeout=args.timeout)
    deadline = time.time() + args.timeout
    s = Stocking(sock)
    wait_ready(s, deadline)
    status = 0
    for kind in args.types.split(","):
        for n in [int(x) for x in args.lengths.split(",")]:
            msg = gen_message(kind, n)
            put(s, msg)
            echo = get(s, deadline)
            if echo == msg and type(echo) is type(msg):
                print("echo ok " + describe(echo), flush=True)
            else:
                got = "nothing" if echo is None else describe(echo)
                print("MISMATCH sent %s got %s" % (describe(msg), got), flush=True)
                status = 1
    flush_and_close(s, deadline)
    return status


def headers(args):
    for kind in ("str", "bytes"):
        typ = bytes if kind == "bytes" else str
        for n in [int(x) for x in args.lengths.split(",")]:
            print(kind, n, MessageHeaders.serialize(typ, n).hex())
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(func=serve)
    c = sub.add_parser("send")
    c.add_argument("--server", required=True)
    c.add_argument("--lengths", required=True)
    c.add_argument("--types", default="str,bytes")
    c.add_argument("--timeout", type=float, default=60)
    c.set_defaults(func=send)
    h = sub.add_parser("headers")
    h.add_argument("--lengths", required=True)
    h.set_defaults(func=headers)
    args = ap.parse_args()
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
