#!/usr/bin/env python3
"""Generates the benchmark's SIP-provider zone and a dnsperf query file.

The zone (``--hosts`` hosts, default 1000) looks like what a SIP provider
publishes: SOA and NS at the apex; RFC 3263 NAPTR at the apex and per tenant
pointing at ``_sips._tcp``/``_sip._tcp``/``_sip._udp`` SRV; one A and one AAAA
per host; four edge proxies; and ``sip.ORIGIN``, the name meant to be governed
by health probes (two A records with a short TTL).

The query file has the mix the issue asks for, shuffled (seeded, so every run
and every server gets the same file):

    40% A, 20% SRV, 10% NAPTR, 10% AAAA, 10% NXDOMAIN, 10% the governed name

``--records N`` instead makes a zone of N records (``load.sh``): hosts with A
and AAAA, and per 10 hosts a tenant with NAPTR and SRV, until N records.
All names are absolute so that fodns, NSD, Knot DNS and gdnsd read the file
the same way.
"""

import argparse
import ipaddress
import random
import sys

GOVERNED = "sip"


def host_name(i):
    return f"h{i:07d}"


def v4(i):
    # 10.0.0.0/8 has room for 16M hosts; skip .0 and .255 for realism.
    return str(ipaddress.IPv4Address(0x0A000000 + 1 + i + 2 * (i // 254)))


def v6(i):
    return str(ipaddress.IPv6Address(0x20010DB8_00000000_00000000_00000000 + 1 + i))


class RecordWriter:
    """A file that counts the records (lines not starting with '$') written to it."""

    def __init__(self, f):
        self.f, self.records = f, 0

    def write(self, text):
        self.records += sum(1 for line in text.splitlines() if line and line[0] != "$")
        self.f.write(text)


def apex_records(origin, out):
    o = origin
    out.write("$TTL 300\n")
    out.write(f"{o} 3600 IN SOA ns1.{o} hostmaster.{o} 2026112801 3600 600 1209600 30\n")
    out.write(f"{o} 3600 IN NS ns1.{o}\n{o} 3600 IN NS ns2.{o}\n")
    out.write(f"ns1.{o} 3600 IN A 192.0.2.53\nns2.{o} 3600 IN A 198.51.100.53\n")
    out.write(f"ns1.{o} 3600 IN AAAA 2001:db8:53::1\nns2.{o} 3600 IN AAAA 2001:db8:53::2\n")
    for i in range(1, 5):
        out.write(f"proxy{i}.{o} 60 IN A 192.0.2.{10 + i}\n")
        out.write(f"proxy{i}.{o} 60 IN AAAA 2001:db8:5060::{i}\n")
    # The health-governed name: served only while its proxy answers SIP OPTIONS.
    out.write(f"{GOVERNED}.{o} 30 IN A 192.0.2.11\n{GOVERNED}.{o} 30 IN A 192.0.2.12\n")
    naptr_and_srv(o, o, ["proxy1", "proxy2"], out)


def naptr_and_srv(owner, origin, targets, out):
    """RFC 3263: NAPTR -> SRV per transport -> hosts."""
    services = [("SIPS+D2T", "_sips._tcp", 5061), ("SIP+D2T", "_sip._tcp", 5060),
                ("SIP+D2U", "_sip._udp", 5060)]
    for order, (svc, label, _) in enumerate(services, 1):
        out.write(f'{owner} 300 IN NAPTR {order * 10} 50 "s" "{svc}" "" {label}.{owner}\n')
    for _, label, port in services:
        for prio, t in enumerate(targets, 1):
            out.write(f"{label}.{owner} 30 IN SRV {prio * 10} 50 {port} {t}.{origin}\n")


def write_sip_zone(origin, hosts, out):
    """The benchmark zone: a tenant (NAPTR + SRV) per 5 hosts. Returns tenants."""
    apex_records(origin, out)
    for i in range(hosts):
        out.write(f"{host_name(i)}.{origin} 300 IN A {v4(i)}\n")
        out.write(f"{host_name(i)}.{origin} 300 IN AAAA {v6(i)}\n")
    tenants = max(1, hosts // 5)
    for t in range(tenants):
        pair = [host_name((2 * t) % hosts), host_name((2 * t + 1) % hosts)]
        naptr_and_srv(f"t{t:04d}.{origin}", origin, pair, out)
    return tenants


def write_big_zone(origin, records, out):
    """About `records` records (never fewer): hosts (A + AAAA), and a tenant
    (NAPTR + SRV) per 10 hosts. Returns the number of hosts."""
    apex_records(origin, out)
    i = 0
    while out.records < records:
        out.write(f"{host_name(i)}.{origin} 300 IN A {v4(i)}\n")
        out.write(f"{host_name(i)}.{origin} 300 IN AAAA {v6(i)}\n")
        if i % 10 == 9 and out.records < records:
            naptr_and_srv(f"t{i // 10:06d}.{origin}", origin, [host_name(i - 1), host_name(i)], out)
        i += 1
    return i


def write_queries(origin, hosts, tenants, count, rng, out):
    mix = [(40, "A"), (20, "SRV"), (10, "NAPTR"), (10, "AAAA"), (10, "NXDOMAIN"),
           (10, "GOVERNED")]
    kinds = [k for pct, k in mix for _ in range(pct)]
    lines = []
    for j in range(count):
        kind = kinds[j % 100]
        if kind == "A":
            lines.append(f"{host_name(rng.randrange(hosts))}.{origin} A")
        elif kind == "AAAA":
            lines.append(f"{host_name(rng.randrange(hosts))}.{origin} AAAA")
        elif kind == "SRV":
            t = rng.randrange(tenants + 1)  # tenants, and the apex
            owner = origin if t == tenants else f"t{t:04d}.{origin}"
            label = rng.choice(["_sip._udp", "_sip._tcp"])
            lines.append(f"{label}.{owner} SRV")
        elif kind == "NAPTR":
            t = rng.randrange(tenants + 1)
            lines.append(f"{origin if t == tenants else f't{t:04d}.{origin}'} NAPTR")
        elif kind == "NXDOMAIN":
            lines.append(f"nx{rng.randrange(10**8):08d}.{origin} A")
        else:
            lines.append(f"{GOVERNED}.{origin} A")
    rng.shuffle(lines)
    out.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--origin", default="sipprovider.example.")
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--records", type=int, help="make a zone of this many records instead")
    ap.add_argument("--zone", required=True, help="zone file to write")
    ap.add_argument("--queries", help="dnsperf query file to write")
    ap.add_argument("--count", type=int, default=100000, help="queries in the file")
    ap.add_argument("--seed", type=int, default=5060)
    a = ap.parse_args()
    origin = a.origin if a.origin.endswith(".") else a.origin + "."
    with open(a.zone, "w") as f:
        z = RecordWriter(f)
        if a.records:
            hosts = write_big_zone(origin, a.records, z)
            tenants = hosts // 10
        else:
            hosts, tenants = a.hosts, write_sip_zone(origin, a.hosts, z)
        n = z.records
    if a.queries:
        if a.records:
            sys.exit("make_zone.py: --queries goes with the benchmark zone, not --records")
        with open(a.queries, "w") as q:
            write_queries(origin, hosts, tenants, a.count, random.Random(a.seed), q)
    print(f"{a.zone}: {n} records, {hosts} hosts, {tenants} tenants", file=sys.stderr)


if __name__ == "__main__":
    main()
