#!/usr/bin/env python3
"""Model of data-parallel training efficiency of `ntm train` at P ranks (docs/scaling.md).

    python3 tests/benchmarks/scaling_model.py --t-doc-ms 0.05 --t-fixed-ms 4 \
        --floats 3020000 [--bandwidth-gbs 10] [--latency-us 2] [--batches 200,2000,12800]

Per step (one rank per core, single-threaded ranks, as ntm runs today):
    T_comp(P, G) = ceil(G / P) * t_doc + t_fixed        (t_fixed: work every rank repeats)
    T_ar(P)      = 2 (P-1)/P * bytes / bandwidth + 2 (P-1) * latency     (flat ring)
    T(P, G)      = T_comp + T_ar                         (no overlap: ntm today)
    E(P, G)      = T(1, G) / (P * T(P, G))
Variants printed next to it:
    overlap      T = T_comp + max(0, T_ar - 0.5 * G/P * t_doc)   (all-reduce of the decoder and
                 encoder layers started while the rest of the backward pass runs; ~half hidden)
    sharded      t_fixed / P (optimizer step and topic softmax sharded, ZeRO-1 style: the
                 all-reduce becomes reduce-scatter + all-gather, same bytes)
    hier         hierarchical all-reduce with R ranks per node: intra-node reduce over shared
                 memory (bandwidth --node-bandwidth-gbs), ring over P/R node leaders, broadcast
t_doc and t_fixed come from tests/benchmarks/bench_train_step.sh on this machine.
"""
import argparse
import math


def ring(p, nbytes, bw, lat):
    return 0.0 if p == 1 else 2 * (p - 1) / p * nbytes / bw + 2 * (p - 1) * lat


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--t-doc-ms", type=float, required=True)
    ap.add_argument("--t-fixed-ms", type=float, required=True)
    ap.add_argument("--floats", type=float, required=True, help="reduce buffer, float32 values")
    ap.add_argument("--bandwidth-gbs", type=float, default=10.0)
    ap.add_argument("--latency-us", type=float, default=2.0)
    ap.add_argument("--node-bandwidth-gbs", type=float, default=20.0)
    ap.add_argument("--ranks-per-node", type=int, default=32)
    ap.add_argument("--ranks", default="1,16,64,256,1024")
    ap.add_argument("--batches", default="200,2000,12800")
    a = ap.parse_args()
    td, tf = a.t_doc_ms / 1e3, a.t_fixed_ms / 1e3
    nbytes = a.floats * 4
    bw, lat, nbw, r = a.bandwidth_gbs * 1e9, a.latency_us * 1e-6, a.node_bandwidth_gbs * 1e9, a.ranks_per_node
    print(f"inputs: t_doc {a.t_doc_ms} ms, t_fixed {a.t_fixed_ms} ms, buffer {nbytes / 1e6:.1f} MB, "
          f"ring {a.bandwidth_gbs} GB/s + {a.latency_us} us per hop, {r} ranks per node "
          f"({a.node_bandwidth_gbs} GB/s in a node)")
    print("| global batch | P | docs per rank | compute ms | all-reduce ms | step ms | efficiency | "
          "+overlap | +sharded optimizer | +overlap+sharded+hierarchical |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g in [int(x) for x in a.batches.split(",")]:
        t1 = g * td + tf
        for p in [int(x) for x in a.ranks.split(",")]:
            per = math.ceil(g / p)
            comp = per * td + tf
            ar = ring(p, nbytes, bw, lat)
            t = comp + ar
            t_ov = comp + max(0.0, ar - 0.5 * per * td)
            comp_sh = per * td + tf / p
            t_sh = comp_sh + ar
            nodes = max(1, p // r)
            inner = min(p, r)
            ar_h = (2 * nbytes / nbw if inner > 1 else 0.0) + ring(nodes, nbytes, bw, lat)
            t_all = comp_sh + max(0.0, ar_h - 0.5 * per * td)
            eff = lambda x: t1 / (p * x)
            note = " (ranks idle: G < P)" if g < p else ""
            print(f"| {g} | {p} | {g / p:.2f}{note} | {comp * 1e3:.2f} | {ar * 1e3:.2f} | {t * 1e3:.2f} | "
                  f"{eff(t):.2f} | {eff(t_ov):.2f} | {eff(t_sh):.2f} | {eff(t_all):.2f} |")


if __name__ == "__main__":
    main()
