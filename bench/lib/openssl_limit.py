"""openssl_limit.py - what this machine can do at best, as `openssl speed` measures it.

Runs `openssl speed -mr -multi N` for the public-key operations a seal and
an open need and for AES-256-GCM and SHA-256, and prices one message:

  limit(size) = 1 / (sum of 1/rate over the public-key operations
                     + size x (1/aes-256-gcm + 1/sha256))

Used by bench/seal_vs_openssl (docs/benchmarks.md says why each operation
is counted). Never part of a test: rates are noise on a shared machine
unless measured in the same run as what they are compared with.
"""

import statistics

from seal_peers import RunFailed, log, run_rusage

SPEED_NAME = {"ec-p256": "p256", "ec-p384": "p384", "rsa-3072": "rsa3072", "rsa-2048": "rsa2048",
              "rsa-4096": "rsa4096"}


def openssl_speed(args, algorithm=None, evp=None):
    """One `openssl speed -mr -multi N` run for one algorithm, or for -evp NAME
    with 16384-byte blocks. Returns ({name: rate}, cpu share): public-key
    rates in ops/s ("rsa3072 sign", "ecdsap256 verify", "ecdhp256"), bulk
    rates in bytes/s ("aes-256-gcm", "sha256"), each summed over the N
    processes as the parent prints them in +F lines (the children's own
    come prefixed with "Got:"). With -multi the children time themselves in
    wall-clock seconds, so the rates drop when neighbours take CPU; the
    share (CPU seconds the processes got / (N x wall seconds), from wait4)
    says by how much."""
    cmd = ["openssl", "speed", "-mr", "-seconds", str(args.speed_seconds), "-multi", str(args.threads)]
    cmd += ["-bytes", "16384", "-evp", evp] if evp else [algorithm]
    try:
        wall, ru, out = run_rusage(cmd, timeout=60 + 4 * args.speed_seconds)
    except RunFailed as e:
        raise RunFailed(f"{' '.join(cmd)}: {e}")
    share = min(1.0, (ru.ru_utime + ru.ru_stime) / (args.threads * wall))
    rates, sizes = {}, []
    for line in out.splitlines():
        f = line.strip().split(":")
        if f[0] == "+H":
            sizes = [int(x) for x in f[1:]]
        elif f[0] == "+F2":    # +F2:k:bits:sign/s:verify/s (RSA)
            rates[f"rsa{f[2]} sign"], rates[f"rsa{f[2]} verify"] = float(f[3]), float(f[4])
        elif f[0] == "+F4":    # +F4:k:bits:sign/s:verify/s (ECDSA)
            rates[f"ecdsap{f[2]} sign"], rates[f"ecdsap{f[2]} verify"] = float(f[3]), float(f[4])
        elif f[0] == "+F5":    # +F5:k:bits:ops/s:seconds per op (ECDH)
            rates[f"ecdhp{f[2]}"] = float(f[3])
        elif f[0] == "+F" and evp:  # +F:k:NAME:bytes/s per block size of +H
            values = [float(x) for x in f[3:]]
            rates[evp] = values[sizes.index(16384)] if 16384 in sizes else values[-1]
    want = [evp] if evp else rates_of(algorithm)
    missing = [n for n in want if n not in rates]
    if missing:
        raise RunFailed(f"`{' '.join(cmd)}` printed no rate for {', '.join(missing)}:\n{out[-1500:]}")
    return rates, share


def rates_of(algorithm):
    if algorithm.startswith("ecdh"):
        return [algorithm]
    return [f"{algorithm} sign", f"{algorithm} verify"]


def verify_op(key_type):
    n = SPEED_NAME[key_type]
    return f"ecdsa{n} verify" if key_type.startswith("ec") else f"{n} verify"


def pk_ops(key_type, ca_type):
    """The public-key operations one seal and one open need, as speed names."""
    n, chain = SPEED_NAME[key_type], verify_op(ca_type)
    if key_type.startswith("ec"):
        seal = [f"ecdsa{n} sign", f"ecdh{n}"]               # signature; ephemeral-static ECDH
        open_ = [f"ecdh{n}", f"ecdsa{n} verify", chain]      # ECDH; signature; chain
    else:
        seal = [f"{n} sign", f"{n} verify"]                  # signature; key transport (public op)
        open_ = [f"{n} sign", f"{n} verify", chain]          # key transport (private op); signature; chain
    return seal, open_


def speed_algorithms(key_types, ca_type):
    algs = []
    for t in list(key_types) + [ca_type]:
        n = SPEED_NAME[t]
        algs += [f"ecdsa{n}", f"ecdh{n}"] if t.startswith("ec") else [n]
    return list(dict.fromkeys(algs))


def limit(rates, ops, size):
    """Messages/s if all the time went to the public-key operations plus
    hashing and encrypting every octet once."""
    per_byte = 1 / rates["aes-256-gcm"] + 1 / rates["sha256"]
    return 1 / (sum(1 / rates[o] for o in ops) + size * per_byte)


def measure_limits(a, key_types, ca_type, when):
    """One pass: every rate the key types need. Returns {"wall": rates as
    printed, "cpu": the same per CPU-second received (rate / share),
    "share": the mean share}."""
    log(f"openssl speed ({when}): public-key operations, aes-256-gcm, sha256; "
        f"{a.speed_seconds} s each, -multi {a.threads} ...")
    result = {"wall": {}, "cpu": {}, "shares": []}
    runs = [(alg, None) for alg in speed_algorithms(key_types, ca_type)]
    runs += [(None, "aes-256-gcm"), (None, "sha256")]
    for algorithm, evp in runs:
        rates, share = openssl_speed(a, algorithm, evp)
        result["wall"].update(rates)
        result["cpu"].update({n: r / share for n, r in rates.items()})
        result["shares"].append(share)
    result["share"] = statistics.mean(result.pop("shares"))
    return result


def merge_passes(passes):
    """The mean of the passes' CPU-second rates, the largest relative
    difference between passes (name, fraction), and the mean CPU share."""
    rates = {n: statistics.mean(p["cpu"][n] for p in passes) for n in passes[0]["cpu"]}
    spread = max(((n, (max(p["cpu"][n] for p in passes) - min(p["cpu"][n] for p in passes)) / rates[n])
                  for n in rates), key=lambda x: x[1])
    return rates, spread, statistics.mean(p["share"] for p in passes)


def fmt_limits(rates, passes, spread, key_types, ca_type, a):
    pk = "; ".join(f"{n} {rates[n]:.0f}/s" for n in sorted(rates) if n not in ("aes-256-gcm", "sha256"))
    when = ("the mean of a pass before and a pass after the engine's rates, which differ by up to "
            f"{spread[1] * 100:.0f}% ({spread[0]})") if passes > 1 else "one pass, before the engine's rates"
    lines = [f"limits, from `openssl speed -mr -multi {a.threads} -seconds {a.speed_seconds}` in this run, one "
             "algorithm per run: rates summed over the processes, each divided by the share of the CPUs",
             "  the run got (CPU seconds from wait4 / (processes x wall seconds)), as the driver's are; "
             f"{when}:",
             f"  {pk}",
             f"  aes-256-gcm {rates['aes-256-gcm'] / 1e6:.0f} MB/s, sha256 {rates['sha256'] / 1e6:.0f} MB/s "
             "(-evp, 16384-byte blocks)",
             "  limit(size) = 1 / (sum of 1/rate over the public-key operations "
             "+ size x (1/aes-256-gcm + 1/sha256))"]
    for t in key_types:
        seal, open_ = pk_ops(t, ca_type)
        lines.append(f"  {t}: seal = {' + '.join(seal)}; open = {' + '.join(open_)}")
    lines += ["  (EC: signature + one ECDH with an ephemeral key; RSA: signature + key transport, "
              "a public-key op to seal, a private-key op to open;",
              f"   open also checks the signer's chain: one {verify_op(ca_type)} for the "
              f"{ca_type} authority's signature on the certificate.)",
              "  Not in the limit, so they count against us: base64 and MIME, ASN.1, generating the "
              "ephemeral EC key (`speed ecdh` times the derive only),",
              "  the CRL's signature check, SHA-384 instead of SHA-256 for P-384 signatures."]
    return "\n".join(lines)
