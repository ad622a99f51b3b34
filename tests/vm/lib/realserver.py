#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A lab real server: a TCP listener that names itself.

    realserver.py NAME [-6] PORT [PORT...]

Listens on 0.0.0.0 (so it answers on the VIP bound to lo in LVS-DR), with -6
on :: instead (IPv6 and, dual-stack, IPv4 too) and, for
each connection, sends "NAME\\n". Then:
  - on "q\\n" from the client it answers "bye\\n" and half-closes (sends FIN);
  - on EOF (the client half-closed) it answers "bye\\n" and keeps its side open.
Either way the client learns, by reading "bye", that its FIN or its "q" went
through the director, which is what makes connection counts deterministic.
Sockets stay open until the client closes or the server is killed.
"""
import selectors
import socket
import sys


def main():
    name = sys.argv[1].encode()
    v6 = "-6" in sys.argv[2:]
    ports = [int(p) for p in sys.argv[2:] if p != "-6"]
    sel = selectors.DefaultSelector()
    for port in ports:
        lsock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6:
            lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        lsock.bind(("::" if v6 else "0.0.0.0", port))
        lsock.listen(1024)
        lsock.setblocking(False)
        sel.register(lsock, selectors.EVENT_READ, None)
    print("listening", name.decode(), *ports, flush=True)

    parked = []  # half-closed by the client: kept open on purpose
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data is None:
                conn, _ = sock.accept()
                conn.setblocking(False)
                conn.sendall(name + b"\n")
                sel.register(conn, selectors.EVENT_READ, "open")
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(sock)
                if key.data == "open":
                    # client half-closed: acknowledge, keep our side open
                    try:
                        sock.sendall(b"bye\n")
                        parked.append(sock)
                        continue
                    except OSError:
                        pass
                sock.close()
            elif b"q" in data and key.data == "open":
                sock.sendall(b"bye\n")
                sock.shutdown(socket.SHUT_WR)
                sel.modify(sock, selectors.EVENT_READ, "shut")

if __name__ == "__main__":
    main()
