#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A raw generic netlink client for the lagwlc tests.

lagwlcctl only sends well-formed requests; the tests also need wrong types,
lengths, unknown attributes and missing ones, and the kernel's extack reply
decoded. This speaks the wire format directly (no libraries), so every byte
of a request is the test's choice.

As a library:  sock = Genl("lagwlc"); err, msg, miss = sock.request(cmd, attrs)
               sock.subscribe(); events = sock.events(count, timeout)
As a command:  genl.py set ADDR:PORT LAG_MS [down]   (IPv4 only; for tests)
               genl.py dump
"""
import errno
import os
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_ADD_MEMBERSHIP = 1

NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLM_F_DUMP_INTR = 0x10
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MISS_NEST = 5, 6

# include/uapi/linux/lagwlc.h
CMD_SET, CMD_DEL, CMD_FLUSH, CMD_GET, CMD_STATE_CHANGE = 1, 2, 3, 4, 5
A_REPLICA, A_SOCKET_OWNER = 1, 2
R_ADDR4, R_ADDR6, R_PORT, R_LAG_MS, R_HEALTH = 1, 2, 3, 4, 5
R_STATE, R_OLD_STATE, R_REASON, R_AGE_MS = 6, 7, 8, 9
HEALTH_UP, HEALTH_DOWN = 1, 2
STATES = ["none", "ok", "lagging", "down", "stale"]
REASONS = ["unspec", "report", "tunable", "timeout", "release", "delete", "flush", "evict"]


def nla(atype, payload):
    """One attribute, padded to 4 bytes."""
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    pad = (-len(payload)) % 4
    return hdr + payload + b"\0" * pad


def nest(atype, *attrs):
    return nla(atype | NLA_F_NESTED, b"".join(attrs))


def u8(atype, v):
    return nla(atype, struct.pack("=B", v))


def u16(atype, v):
    return nla(atype, struct.pack("=H", v))


def u32(atype, v):
    return nla(atype, struct.pack("=I", v))


def addr4(a):
    return nla(R_ADDR4, socket.inet_pton(socket.AF_INET, a))


def addr6(a):
    return nla(R_ADDR6, socket.inet_pton(socket.AF_INET6, a))


def replica(addr, port, lag=None, health=None):
    attrs = [addr6(addr) if ":" in addr else addr4(addr), u16(R_PORT, port)]
    if lag is not None:
        attrs.append(u32(R_LAG_MS, lag))
    if health is not None:
        attrs.append(u8(R_HEALTH, health))
    return nest(A_REPLICA, *attrs)


def attr_list(data):
    """Every attribute, in order, as (type, payload): repeated ones too."""
    out = []
    while len(data) >= 4:
        alen, atype = struct.unpack_from("=HH", data)
        if alen < 4:
            break
        out.append((atype & 0x3FFF, data[4:alen]))
        data = data[(alen + 3) & ~3:]
    return out


def parse_attrs(data):
    """The attributes as a dict by type (the last of a repeated one)."""
    return dict(attr_list(data))


def decode_replica(payload):
    """A LAGWLC_A_REPLICA nest as a dict."""
    a = parse_attrs(payload)
    d = {}
    if R_ADDR4 in a:
        d["addr"] = socket.inet_ntop(socket.AF_INET, a[R_ADDR4])
    if R_ADDR6 in a:
        d["addr"] = socket.inet_ntop(socket.AF_INET6, a[R_ADDR6])
    for key, attr, fmt in (("port", R_PORT, "=H"), ("lag_ms", R_LAG_MS, "=I"),
                           ("health", R_HEALTH, "=B"), ("state", R_STATE, "=B"),
                           ("old_state", R_OLD_STATE, "=B"), ("reason", R_REASON, "=B"),
                           ("age_ms", R_AGE_MS, "=I")):
        if attr in a:
            d[key] = struct.unpack(fmt, a[attr])[0]
    for key, names in (("state", STATES), ("old_state", STATES), ("reason", REASONS)):
        if key in d:
            d[key] = names[d[key]] if d[key] < len(names) else d[key]
    if "health" in d:
        d["health"] = {HEALTH_UP: "up", HEALTH_DOWN: "down"}.get(d["health"], d["health"])
    return d


class NetlinkError(Exception):
    pass


class Genl:
    def __init__(self, family):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1
        self.family_id = GENL_ID_CTRL
        # the module registers its family a moment after it loads
        # (kmod/netlink.c): wait up to 2 s while the module is there
        for _ in range(40):
            err, msgs, _ = self.request(CTRL_CMD_GETFAMILY,
                                        nla(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"),
                                        version=1)
            if err != -errno.ENOENT or not os.path.exists("/sys/module/ip_vs_lagwlc"):
                break
            time.sleep(0.05)
        if err:
            raise NetlinkError(f"family {family}: {os.strerror(-err)}")
        attrs = parse_attrs(msgs[0])
        self.groups = {}
        for grp in parse_attrs(attrs.get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
            g = parse_attrs(grp)
            self.groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        self.family_id = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID])[0]

    def send(self, cmd, payload, flags, version=1, family_id=None, raw=None):
        self.seq += 1
        body = raw if raw is not None else struct.pack("=BBH", cmd, version, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body),
                          self.family_id if family_id is None else family_id,
                          flags, self.seq, 0)
        self.sock.send(hdr + body)

    def request(self, cmd, payload=b"", dump=False, version=1, raw=None):
        """Send; return (errno or 0, [genl payloads], extack dict)."""
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        self.send(cmd, payload, flags, version=version, raw=raw)
        msgs, info = [], {"intr": False, "recvs": 0}
        while True:
            data = self.sock.recv(1 << 20)
            info["recvs"] += 1
            while data:
                mlen, mtype, mflags, seq, _ = struct.unpack_from("=IHHII", data)
                body = data[16:mlen]
                data = data[(mlen + 3) & ~3:]
                if seq != self.seq:
                    continue
                if mflags & NLM_F_DUMP_INTR:
                    info["intr"] = True
                if mtype == NLMSG_DONE:
                    return 0, msgs, info
                if mtype == NLMSG_ERROR:
                    err = struct.unpack_from("=i", body)[0]
                    if mflags & NLM_F_ACK_TLVS:
                        inner = 16 if mflags & NLM_F_CAPPED else struct.unpack_from("=I", body, 4)[0]
                        tlvs = parse_attrs(body[4 + ((inner + 3) & ~3):])
                        if NLMSGERR_ATTR_MSG in tlvs:
                            info["msg"] = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
                        if NLMSGERR_ATTR_OFFS in tlvs:
                            info["offs"] = struct.unpack("=I", tlvs[NLMSGERR_ATTR_OFFS])[0]
                        if NLMSGERR_ATTR_MISS_TYPE in tlvs:
                            info["miss_type"] = struct.unpack("=I", tlvs[NLMSGERR_ATTR_MISS_TYPE])[0]
                        if NLMSGERR_ATTR_MISS_NEST in tlvs:
                            info["miss_nest"] = struct.unpack("=I", tlvs[NLMSGERR_ATTR_MISS_NEST])[0]
                    if err or not dump:
                        return err, msgs, info
                    continue
                msgs.append(body[4:])  # skip genlmsghdr

    def replicas(self):
        err, msgs, info = self.request(CMD_GET, dump=True)
        if err:
            raise NetlinkError(os.strerror(-err))
        return [decode_replica(parse_attrs(m)[A_REPLICA]) for m in msgs]

    def subscribe(self, group="events"):
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])

    def events(self, count=None, timeout=1.0):
        """LAGWLC_CMD_STATE_CHANGE events received (after subscribe()), each
        decoded as by decode_replica(): until count of them have come (all
        that are queued with count None), and never longer than timeout s.
        """
        got = []
        deadline = time.monotonic() + timeout
        while count is None or len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                break
            finally:
                self.sock.settimeout(None)
            while len(data) >= 20:
                mlen, mtype = struct.unpack_from("=IH", data)
                if mtype == self.family_id and data[16] == CMD_STATE_CHANGE:
                    got.append(decode_replica(parse_attrs(data[20:mlen])[A_REPLICA]))
                data = data[(mlen + 3) & ~3:]
        return got

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "set":
        host, port = sys.argv[2].rsplit(":", 1)
        health = HEALTH_DOWN if sys.argv[4:5] == ["down"] else HEALTH_UP
        err, _, info = Genl("lagwlc").request(
            CMD_SET, replica(host, int(port), int(sys.argv[3]), health))
        if err:
            sys.exit(f"genl.py: {info.get('msg', '')}: {os.strerror(-err)}")
    elif sys.argv[1:] == ["dump"]:
        for r in Genl("lagwlc").replicas():
            print(r)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
