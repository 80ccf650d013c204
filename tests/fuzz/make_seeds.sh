#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/<target>/ (small files,
# checked in). Binary seeds (shards, model.bin, .npy, vocab.tsv, bow.mtx) come
# from running ntm on the first 30 records of tests/data/medquad-sample.jsonl.gz
# (MedQuAD, CC BY 4.0; texts cut to 400 characters) with a tiny config; text
# seeds are those MedQuAD snippets and synthetic strings. Never MTSamples.
#
# Usage: tests/fuzz/make_seeds.sh NTM_BINARY
# Seeds for targets that take option bytes first (see each *_fuzzer.cc) get
# them prepended here.
set -euo pipefail
ntm=${1:?usage: make_seeds.sh NTM_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/ntm-seeds-XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$root/tests/data/medquad-sample.jsonl.gz" >"$work/in.jsonl" <<'PY'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt") as f:
    for _, line in zip(range(30), f):
        r = json.loads(line)
        print(json.dumps({"id": r["id"], "text": r["text"][:400]}))
PY

cfg="--config $root/configs/default.yaml"
tiny=(--set tokenize.docs_per_shard=10 --set vocab.mode=words --set vocab.min_df=2
      --set vocab.max_size=40 --set model.num_topics=3 --set model.hidden=8 --set train.epochs=2
      --set train.batch_size=10 --set train.validation_fraction=0.1 --set score.mc_samples=2)
# shellcheck disable=SC2086
{
  "$ntm" tokenize $cfg --input "$work/in.jsonl" --out "$work/corpus" "${tiny[@]}"
  "$ntm" train $cfg --corpus "$work/corpus" --out "$work/model" "${tiny[@]}"
  "$ntm" score $cfg --model "$work/model" --corpus "$work/corpus" --out "$work/scores" \
    --methods amortized "${tiny[@]}"
  "$ntm" export-bow --corpus "$work/corpus" --out "$work/bow"
} >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }

python3 - "$work" "$here/corpus" "$root" <<'PY'
import json, os, shutil, struct, sys
work, out, root = sys.argv[1:4]
shutil.rmtree(out, ignore_errors=True)

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def read(*p):
    with open(os.path.join(work, *p), "rb") as f:
        return f.read()

records = [json.loads(l) for l in read("in.jsonl").decode().splitlines()]
jsonl = "".join(json.dumps(r) + "\n" for r in records[:4]).encode()

# Readers: byte 0 = option bits, byte 1 = split point.
put("jsonl", "medquad4", b"\x00\x80" + jsonl)
put("jsonl", "medquad4-limits", b"\x06\x40" + jsonl)
put("jsonl", "malformed", b"\x00\x55" + b'{"id": "a", "text": "ok"}\n[1,2]\n{"id": 3, "text": 5}\n'
    b'{"text": "no id"}\n{"id": "b\\tc", "text": "tab id"}\n{"id": "d", "text": "\\u00e9\\ud800 x"}\r\n'
    b'not json\n{"id": "e", "text": "\xc0\xaf overlong \xed\xa0\x80 surrogate"}\n\n{"id":"f","text":"last"}')
put("jsonl", "nested", b"\x00\x80" + b"[" * 200 + b"\n" + b'{"id": "x", "text": "' + b"\x00" + b'"}\n')
csv = "id,text\n" + "".join('"%s","%s"\n' % (r["id"], r["text"][:200].replace('"', '""'))
                             for r in records[:3])
put("csv", "medquad3", b"\x00\x80" + csv.encode())
put("csv", "quoting", b"\x00\x60" + b'id,text,extra\n1,"multi\nline ""quoted""",x\n2,plain,y\n'
    b'3,"unterminated\n4,bad"quote,z\n5,"after"junk,w\n6,too,many,fields\n7,,\n')
put("csv", "semicolon-crlf", b"\x10\x80" + b'id;text\r\n1;"a;b"\r\n2;c\r\n')
# Words: byte 0 = option bits, the rest = text.
for i, r in enumerate(records[4:7]):
    put("words", "medquad%d" % i, b"\x00" + r["text"].encode())
put("words", "clinical", b"\x00" + "Pt is a 45 y.o. male c/o chest pain x2 days; b.i.d. dosing 5 mg, "
    "BP 120/80 mmHg on 03/04/2021 at 10:30. [**Name**] XXXX follow-up in 2-3 wks. "
    "Patient's pain.the".encode())
put("words", "unicode", b"\x00" + "ﬁne Ｆｕｌｌ width, e\u0301\u0301 combining, "
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u200f\u202e rtl, "
    "日本語テキスト, İstanbul ß ΣΊΣΥΦΟΣ \u00a0nbsp\u2028ls".encode() + b" \xc0\xaf \xed\xa0\x80 \x00 end")
put("words", "ascii-options", b"\xff" + b"A.B.C. x-ray e.g. 5mg 12.5% 1,000 ok_ok a--b 'quoted' pain.the")
# Shards: byte 0 = mode (0 raw, 1 framed).
for name in sorted(os.listdir(os.path.join(work, "corpus"))):
    if name.endswith(".bow"):
        put("shard", name, b"\x00" + read("corpus", name))
put("shard", "framed", b"\x01" + read("corpus", "shard-00000.bow"))
# Model: byte 0 = mode (0 model.bin, 1 state blob).
model = read("model", "model.bin")
put("model", "model.bin", b"\x00" + model)
meta_len = struct.unpack_from("<Q", model, 12)[0]
state_len = struct.unpack_from("<Q", model, 20 + meta_len)[0]
put("model", "state", b"\x01" + model[28 + meta_len:28 + meta_len + state_len])
# Config: YAML, then NUL-separated --set overrides.
with open(os.path.join(root, "configs", "demo.yaml"), "rb") as f:
    put("config", "demo.yaml", f.read())
put("config", "lists-and-overrides", b"tokenize:\n  extra_stop_words: [pt, hx]\n  numbers: keep\n"
    b"score:\n  methods: [amortized, ln-vi]\n\0model.num_topics=5\0score.methods=amortized,refined\0"
    b"vocab.mode=words")
put("config", "errors", b"train:\n  lerning_rate: 1\n  epochs: -1\nmodel: {hidden: x}\n")
put("mtx", "bow.mtx", read("bow", "bow.mtx"))
put("mtx", "tiny.mtx", b"%%MatrixMarket matrix coordinate integer general\n% c\n2 3 2\n1 1 5\n2 3 1\n")
put("vocab", "vocab.tsv", read("corpus", "vocab.tsv"))
put("npy", "topics.npy", read("model", "topics.npy"))
put("npy", "theta.npy", read("scores", "theta-amortized.npy"))
put("npy", "elbo.npy", read("scores", "elbo-amortized.npy"))
PY
du -sh "$here/corpus"; find "$here/corpus" -type f | wc -l
