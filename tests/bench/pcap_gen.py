#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes capture files for the pcap probe's benchmark and its comparison
with tshark, with the standard library only (no scapy on the devices that
run these).

  pcap_gen.py retrans FILE     TCP transfers with known retransmissions;
                               prints the number of data segments sent again
  pcap_gen.py bench FILE N     N packets of many interleaved TCP flows
"""
import random
import struct
import sys

AP = bytes.fromhex("02005e100001")
GW = bytes.fromhex("02005e1000fe")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        # classic pcap, microseconds, snaplen 65535, Ethernet
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.n = 0

    def put(self, ts_us, frame, wire_len=None):
        wire = len(frame) if wire_len is None else wire_len
        self.f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000,
                                 len(frame), wire))
        self.f.write(frame)
        self.n += 1

    def close(self):
        self.f.close()


def frame(smac, dmac, src, dst, sport, dport, seq, ack, flags, payload,
          v6=False, vlan=False, checksums=True):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    if v6:
        s = bytes.fromhex("fd32" + "00" * 10) + struct.pack("!I", src)
        d = bytes.fromhex("fd32" + "00" * 10) + struct.pack("!I", dst)
        l4 = len(tcp) + len(payload)
        if checksums:
            ph = s + d + struct.pack("!IxxxB", l4, 6)
            c = csum(ph + tcp + payload)
            tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!IHBB", 6 << 28, l4, 6, 64) + s + d
        etype = 0x86DD
    else:
        s, d = struct.pack("!I", src), struct.pack("!I", dst)
        l4 = len(tcp) + len(payload)
        if checksums:
            ph = s + d + struct.pack("!xBH", 6, l4)
            c = csum(ph + tcp + payload)
            tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + l4, 0, 0x4000, 64, 6, 0) + s + d
        if checksums:
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        etype = 0x0800
    eth = dmac + smac
    if vlan:
        eth += struct.pack("!HH", 0x8100, 100)
    return eth + struct.pack("!H", etype) + ip + tcp + payload


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def transfer(w, ts, cl, sport, nseg, retx, isn=1000000, v6=False, vlan=False,
             server_data=0, server_retx=()):
    """A connection from client cl, nseg segments of 500 bytes, those in
    retx sent again 200 ms apart (never within Wireshark's 3 ms
    out-of-order window); the server answers server_data segments."""
    c = dict(v6=v6, vlan=vlan)
    src, dst, dport, risn = 0x0A000000 + cl, 0xC0A80101, 443, 7000000 + cl
    cmac = bytes.fromhex("3c22fb0000%02x" % cl)
    data = b"x" * 500
    w.put(ts, frame(cmac, GW, src, dst, sport, dport, isn, 0, SYN, b"", **c))
    ts += 20000
    w.put(ts, frame(GW, cmac, dst, src, dport, sport, risn, isn + 1, SYN | ACK, b"", **c))
    ts += 1000
    w.put(ts, frame(cmac, GW, src, dst, sport, dport, isn + 1, risn + 1, ACK, b"", **c))
    for i in range(nseg):
        ts += 10000
        seq = isn + 1 + i * 500
        w.put(ts, frame(cmac, GW, src, dst, sport, dport, seq, risn + 1, ACK | PSH, data, **c))
        ts += 1000
        w.put(ts, frame(GW, cmac, dst, src, dport, sport, risn + 1, seq + 500, ACK, b"", **c))
    for i in retx:
        ts += 200000
        seq = isn + 1 + i * 500
        w.put(ts, frame(cmac, GW, src, dst, sport, dport, seq, risn + 1, ACK | PSH, data, **c))
    end = isn + 1 + nseg * 500
    for i in range(server_data):
        ts += 10000
        w.put(ts, frame(GW, cmac, dst, src, dport, sport, risn + 1 + i * 300, end,
                        ACK | PSH, b"y" * 300, **c))
    for i in server_retx:
        ts += 200000
        w.put(ts, frame(GW, cmac, dst, src, dport, sport, risn + 1 + i * 300, end,
                        ACK | PSH, b"y" * 300, **c))
    # a keep-alive after a pause: one byte below what was sent
    ts += 5000000
    w.put(ts, frame(cmac, GW, src, dst, sport, dport, end - 1, risn + 1 + server_data * 300,
                    ACK, b"k", **c))
    return ts + 1000, len(retx) + len(server_retx)


def gen_retrans(path):
    w = Writer(path)
    ts, k = 1763800000000000, 0
    ts, n = transfer(w, ts, 1, 40000, 50, [3, 10, 11, 30, 49])
    k += n
    ts, n = transfer(w, ts, 2, 40001, 30, [0, 15, 29], v6=True, vlan=True)
    k += n
    ts, n = transfer(w, ts, 3, 40002, 40, [1, 2, 3, 39], isn=0xFFFFF000)
    k += n
    ts, n = transfer(w, ts, 4, 40003, 20, [], server_data=10, server_retx=[4])
    k += n
    rnd = random.Random(7)
    for cl in range(5, 25):
        retx = sorted(rnd.sample(range(30), rnd.randint(0, 4)))
        ts, n = transfer(w, ts, cl, 41000 + cl, 30, retx, isn=rnd.getrandbits(32),
                         v6=cl % 3 == 0, vlan=cl % 4 == 0)
        k += n
    w.close()
    print(k)


def gen_bench(path, n):
    """2,000 interleaved flows of full-size segments, headers only captured
    (as with a short snaplen), 1 % sent again, a SYN every 500 packets;
    10 % IPv6, 5 % VLAN-tagged. The flows fit the default table."""
    w = Writer(path)
    rnd = random.Random(1)
    nflows = 2000
    seqs = [rnd.getrandbits(32) for _ in range(nflows)]
    heads = []
    for f in range(nflows):
        cmac = bytes.fromhex("3c22fb%06x" % f)
        full = frame(cmac, GW, 0x0A000000 + f, 0xC0A80101, 20000 + f, 443, 0, 1,
                     ACK | PSH, b"z" * 1448, v6=f % 10 == 0, vlan=f % 20 == 0,
                     checksums=False)
        tcp = len(full) - 1448 - 20
        heads.append((bytearray(full[:tcp + 32]), tcp + 4, len(full)))
    ts = 1763800000000000
    out, pack, put = w.f.write, struct.pack, struct.pack_into
    last = [None] * nflows
    for i in range(n):
        ts += 5
        f = i % nflows
        fr, seqoff, wire = heads[f]
        if i % 100 == 99 and last[f] is not None:
            seq = last[f]
        else:
            seq = seqs[f]
            seqs[f] = (seq + 1448) & 0xFFFFFFFF
            last[f] = seq
        if i % 500 == 0:
            fl = fr[:]
            fl[seqoff + 9] = SYN
            put("!I", fl, seqoff, seq)
            data = bytes(fl)
        else:
            put("!I", fr, seqoff, seq)
            data = bytes(fr)
        out(pack("<IIII", ts // 1000000, ts % 1000000, len(data), wire))
        out(data)
    w.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "retrans":
        gen_retrans(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "bench":
        gen_bench(sys.argv[2], int(sys.argv[3]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
