#!/usr/bin/env python3
"""Topic quality of ntm models against scikit-learn's LDA on the same corpus.

Reads a corpus exported by `ntm export-bow` (bow.mtx, vocab.txt) and any
number of ntm model folders (topics.npy, K x V, rows sum to 1). For each, and
for scikit-learn's LatentDirichletAllocation (batch variational Bayes, the
classical per-document VI model) fitted with the same K, prints

  mean NPMI of each topic's top-10 terms by document co-occurrence over the
  corpus (a pair that never co-occurs scores 0, as ntm score computes it), and
  topic diversity (unique share of all topics' top-25 terms).

The NPMI of the ntm models recomputed here must match quality.json's
mean_npmi (a cross-check of ntm's metric code).

Usage: topic_quality_peer.py BOW_DIR K [--sklearn-iter N] MODEL_DIR...
Needs: python3-sklearn python3-scipy (Debian).
"""
import argparse
import time

import numpy as np
import scipy.io


def npmi(topics, presence, n=10):
    docs = presence.shape[0]
    scores = []
    for beta in topics:
        top = np.argsort(-beta, kind="stable")[:n]
        cols = presence[:, top].toarray()
        df = cols.sum(axis=0)
        pairs = []
        for i in range(n):
            for j in range(i + 1, n):
                both = float((cols[:, i] * cols[:, j]).sum())
                if both == 0:
                    pairs.append(0.0)
                    continue
                p_ij = both / docs
                pmi = np.log(p_ij / ((df[i] / docs) * (df[j] / docs)))
                pairs.append(pmi / -np.log(p_ij))
        scores.append(np.mean(pairs))
    return float(np.mean(scores))


def diversity(topics, n=25):
    tops = [set(np.argsort(-beta, kind="stable")[:n]) for beta in topics]
    return len(set().union(*tops)) / (n * len(topics))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bow_dir")
    parser.add_argument("topics", type=int)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--sklearn-iter", type=int, default=100)
    args = parser.parse_intermixed_args()
    counts = scipy.io.mmread(f"{args.bow_dir}/bow.mtx").tocsr()
    presence = (counts > 0).astype(np.float64).tocsc()
    print(f"{'model':40s} {'NPMI':>7s} {'diversity':>9s}")
    for model in args.models:
        topics = np.load(f"{model}/topics.npy")
        print(f"{model:40s} {npmi(topics, presence):7.3f} {diversity(topics):9.3f}")
    from sklearn.decomposition import LatentDirichletAllocation

    for prior in (None, 1.0):
        start = time.time()
        lda = LatentDirichletAllocation(n_components=args.topics, learning_method="batch",
                                        max_iter=args.sklearn_iter, random_state=0,
                                        doc_topic_prior=prior).fit(counts)
        topics = lda.components_ / lda.components_.sum(axis=1, keepdims=True)
        name = f"sklearn LDA batch, alpha={'1/K' if prior is None else prior}"
        print(f"{name:40s} {npmi(topics, presence):7.3f} {diversity(topics):9.3f}"
              f"   ({args.sklearn_iter} iterations, {time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
