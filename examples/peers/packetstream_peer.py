#!/usr/bin/env python3
"""Drive the real cs.packetstream (pinned in requirements.txt) for the
interop tests in examples/tests/interop_packetstream*.rs.

Mirrors the `packetstream-peer` binary:

    packetstream_peer.py serve --listen 127.0.0.1:0 [--connections N] [--close-after K]
    packetstream_peer.py call --server ADDR RQ_TYPES PAYLOAD... [--show-order] [--wait-peer-close]
    packetstream_peer.py golden          # cs.packetstream's own bytes for the golden packets
    packetstream_peer.py parse HEX...    # how cs.packetstream parses frames we made

Sharp edges of cs.packetstream 20240630 handled here (see
docs/WIRE-packetstream.md): the socket handed to PacketConnection must be
blocking (it is read with os.read); packet_grace=0 avoids a 10 ms sleep per
flush; the tuple form `(recv, send)` is used, because callable mode unpacks
`send, recv, shutdown` contrary to its docstring.
"""

import argparse
import socket
import sys
import threading
import time

from cs.buffer import CornuCopyBuffer
from cs.packetstream import Packet, PacketConnection

UPPER, FAIL, SLOW = 0, 1, 2


def demo_handler(rq_type, flags, payload):
    """The handlers `packetstream-peer serve` implements too."""
    if rq_type == UPPER:
        return (5, payload.upper())
    if rq_type == FAIL:
        raise ValueError("FAIL always fails")
    if rq_type == SLOW:
        time.sleep(0.3)
        return payload
    raise ValueError("unknown rq_type %d" % rq_type)


def printable(bs):
    return "".join(
        chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in bs
    )


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


def serve(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(split_addr(args.listen))
    srv.listen(8)
    host, port = srv.getsockname()
    print("listening on %s:%d" % (host, port), flush=True)
    for n in range(args.connections):
        sock, _ = srv.accept()
        sock.setblocking(True)
        fd = sock.fileno()
        seen = [0]
        lock = threading.Lock()
        enough = threading.Event()

        def handler(rq_type, flags, payload):
            with lock:
                seen[0] += 1
                if args.close_after and seen[0] >= args.close_after:
                    enough.set()
            return demo_handler(rq_type, flags, payload)

        conn = PacketConnection(
            (fd, fd), "py-server-%d" % n, request_handler=handler, packet_grace=0
        )
        with conn:
            if args.close_after:
                # We end first: leaving the with-block sends ERQ, waits for
                # the running handlers, sends EOF, then waits for the peer's EOF.
                if not enough.wait(args.timeout):
                    print("timeout waiting for requests", flush=True)
                    return 1
                # cs.packetstream starts a handler before it records it in
                # requests_in_progress; closing in between loses the
                # handler's response ("_sendQ is None"). Wait until it is
                # recorded, so the close waits for it.
                while not conn.requests_in_progress:
                    time.sleep(0.001)
                print("closing after %d requests" % seen[0], flush=True)
            else:
                conn.join_recv()
        sock.close()
        print("connection %d closed after %d requests" % (n, seen[0]), flush=True)
    srv.close()
    return 0


def call(args):
    types = [int(t) for t in args.rq_types.split(",")]
    sock = socket.create_connection(split_addr(args.server), timeout=args.timeout)
    sock.setblocking(True)
    fd = sock.fileno()
    conn = PacketConnection((fd, fd), "py-client", packet_grace=0)
    order = []
    order_lock = threading.Lock()
    all_ok = True
    with conn:
        results = []
        for i, payload in enumerate(args.payloads):

            def done(_, i=i):
                with order_lock:
                    order.append(i)

            R = conn.submit(
                types[i % len(types)], flags=args.flags, payload=payload.encode()
            )
            R.notify(done)
            results.append(R)
        print("submitted %d" % len(results), flush=True)
        for R in results:
            ok, flags, payload = R()
            all_ok = all_ok and ok
            print(
                "ok=%s flags=%d payload=%s"
                % ("true" if ok else "false", flags, printable(payload)),
                flush=True,
            )
        if args.wait_peer_close:
            conn.join_recv()
            print("peer closed", flush=True)
    sock.close()
    if args.show_order:
        print("order=" + ",".join(str(i) for i in order), flush=True)
    return 0 if all_ok else 1


GOLDEN = {
    "request": dict(is_request=True, channel=0, tag=2, flags=0, rq_type=1, payload=b"hello"),
    "response": dict(is_request=False, channel=0, tag=2, flags=(5 << 1) | 1, payload=b"HELLO"),
    "failure": dict(is_request=False, channel=0, tag=3, flags=0, payload=b"exception during handler"),
    "channel": dict(is_request=True, channel=7, tag=300, flags=1, rq_type=201, payload=b"x"),
}


def golden(_args):
    for name, fields in GOLDEN.items():
        print(name, bytes(Packet(**fields)).hex())
    print("erq", bytes(PacketConnection.ERQ_Packet).hex())
    print("eof", bytes(PacketConnection.EOF_Packet).hex())
    return 0


def parse(args):
    for h in args.frames:
        bfr = CornuCopyBuffer([bytes.fromhex(h)])
        p = Packet.parse(bfr)
        rest = b"".join(bfr)
        print(
            "is_request=%s channel=%d tag=%d flags=%d rq_type=%s payload=%s rest=%d"
            % (
                p.is_request,
                p.channel,
                p.tag,
                p.flags,
                getattr(p, "rq_type", None) if p.is_request else None,
                printable(p.payload),
                len(rest),
            )
        )
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", required=True)
    s.add_argument("--connections", type=int, default=1)
    s.add_argument("--close-after", type=int, default=0)
    s.add_argument("--timeout", type=float, default=30)
    s.set_defaults(func=serve)
    c = sub.add_parser("call")
    c.add_argument("--server", required=True)
    c.add_argument("--flags", type=int, default=0)
    c.add_argument("--timeout", type=float, default=30)
    c.add_argument("--show-order", action="store_true")
    c.add_argument("--wait-peer-close", action="store_true")
    c.add_argument("rq_types", help="handler rq_type, or a comma list cycled over the payloads")
    c.add_argument("payloads", nargs="+")
    c.set_defaults(func=call)
    g = sub.add_parser("golden")
    g.set_defaults(func=golden)
    p = sub.add_parser("parse")
    p.add_argument("frames", nargs="+")
    p.set_defaults(func=parse)
    args = ap.parse_args()
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
