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

With --table NAME (bench_topics.sh --table), BOW_DIR must also hold the
completion split of `ntm export-bow --completion-split`; it prints one row
per model: the ntm model (NAME, its completion perplexity and seconds given by
--ntm-ppl/--ntm-seconds), scikit-learn's online LDA and gensim's LdaModel with
the issue-13 settings: NPMI, diversity, near-duplicate topic pairs (top-10
overlap >= half), document-completion perplexity on the same observed/held-out
halves as ntm score, and fit seconds (single thread: set OMP_NUM_THREADS etc.).

Usage: topic_quality_peer.py BOW_DIR K [--sklearn-iter N] MODEL_DIR...
       topic_quality_peer.py BOW_DIR K --table NAME --ntm-ppl P --ntm-seconds S MODEL_DIR
Needs: python3-sklearn python3-scipy python3-gensim (Debian).
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


def duplicate_pairs(topics, n=10):
    tops = [set(np.argsort(-beta, kind="stable")[:n]) for beta in topics]
    return sum(len(tops[i] & tops[j]) * 2 >= n
               for i in range(len(tops)) for j in range(i + 1, len(tops)))


def completion_perplexity(theta, topics, heldout):
    theta = theta / theta.sum(axis=1, keepdims=True)
    heldout = heldout.tocoo()
    prob = np.einsum("ik,ki->i", theta[heldout.row], topics[:, heldout.col])
    return float(np.exp(-(heldout.data * np.log(prob)).sum() / heldout.data.sum()))


def fit_sklearn(counts, k, observed):
    from sklearn.decomposition import LatentDirichletAllocation

    start = time.time()
    lda = LatentDirichletAllocation(n_components=k, learning_method="online", batch_size=256,
                                    max_iter=20, doc_topic_prior=1 / k, topic_word_prior=1 / k,
                                    total_samples=counts.shape[0], random_state=0).fit(counts)
    seconds = time.time() - start
    topics = lda.components_ / lda.components_.sum(axis=1, keepdims=True)
    return topics, lda.transform(observed), seconds


def gensim_corpus(matrix):
    matrix = matrix.tocsr()
    return [list(zip(matrix.indices[matrix.indptr[d]:matrix.indptr[d + 1]].tolist(),
                     matrix.data[matrix.indptr[d]:matrix.indptr[d + 1]].tolist()))
            for d in range(matrix.shape[0])]


def fit_gensim(counts, k, observed):
    from gensim.models import LdaModel

    corpus = gensim_corpus(counts)
    id2word = {v: str(v) for v in range(counts.shape[1])}
    start = time.time()
    lda = LdaModel(corpus, num_topics=k, id2word=id2word, passes=20, alpha=np.full(k, 1 / k),
                   eta=1 / k, random_state=0)
    seconds = time.time() - start
    theta = np.zeros((observed.shape[0], k))
    for d, doc in enumerate(gensim_corpus(observed)):
        for topic, p in lda.get_document_topics(doc, minimum_probability=0):
            theta[d, topic] = p
    return lda.get_topics(), theta, seconds


def table(args, counts, presence):
    observed = scipy.io.mmread(f"{args.bow_dir}/completion-observed.mtx").tocsr()
    heldout = scipy.io.mmread(f"{args.bow_dir}/completion-heldout.mtx").tocsr()
    assert observed.shape[1] == counts.shape[1] == heldout.shape[1]

    def row(name, topics, ppl, seconds):
        print(f"{name:34s} {npmi(topics, presence):7.3f} {diversity(topics):9.3f} "
              f"{duplicate_pairs(topics):5d} {ppl:10.1f} {seconds:8.1f}", flush=True)

    ntm_topics = np.load(f"{args.models[0]}/topics.npy")
    row(args.table, ntm_topics, args.ntm_ppl, args.ntm_seconds)
    topics, theta, sk_seconds = fit_sklearn(counts.astype(np.float64), args.topics, observed)
    row("  scikit-learn online LDA", topics, completion_perplexity(theta, topics, heldout),
        sk_seconds)
    topics, theta, seconds = fit_gensim(counts, args.topics, observed)
    row("  gensim LdaModel", topics, completion_perplexity(theta, topics, heldout), seconds)
    print(f"  train seconds ntm/sklearn: {args.ntm_seconds / sk_seconds:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bow_dir")
    parser.add_argument("topics", type=int)
    parser.add_argument("models", nargs="*")
    parser.add_argument("--sklearn-iter", type=int, default=100)
    parser.add_argument("--table")
    parser.add_argument("--ntm-ppl", type=float)
    parser.add_argument("--ntm-seconds", type=float)
    args = parser.parse_intermixed_args()
    counts = scipy.io.mmread(f"{args.bow_dir}/bow.mtx").tocsr()
    presence = (counts > 0).astype(np.float64).tocsc()
    if args.table:
        table(args, counts, presence)
        return
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
