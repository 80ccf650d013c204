#!/usr/bin/env bash
# Checks that report.html written by `ntm report` renders every chart in a real
# browser (headless Chromium). It builds real run folders from the bundled
# sample (tests/data/medquad-sample.jsonl.gz, configs/demo.yaml, 20 epochs):
# tokenize and train under mpirun -np 2, score with all four methods at P=1 and
# at P=2 (so the report has the amortization-gap and scaling charts), and runs
# `ntm report` on them. One note planted in the input carries a made-up
# sentence: neither it nor its words may appear in any report file. Then:
#   - report.html itself loads nothing and runs nothing (no <script>, no
#     http(s) src/href or CSS url()), and has every expected chart title;
#   - a copy of it gets a small script that measures, in the browser, every
#     <svg class="chart">: its rendered size, its data marks (polylines, bars,
#     histogram bins, marker lines), which of them have a non-empty geometry and
#     which the browser really paints (elementFromPoint hit test), and whether
#     every text lies inside the viewBox; Chromium --dump-dom returns the result
#     as JSON, which is checked per chart type (one line printed per chart);
#   - a full-page screenshot of report.html must be a PNG larger than a blank
#     page's, and larger than that of the same page with every chart emptied.
#
# Usage: tests/pipeline/report/report_browser_test.sh (--ntm PATH | --report FILE) [--chromium PATH] [--keep DIR]
#   --ntm PATH       the ntm binary (builds the runs and the report)
#   --report FILE    check this report.html instead (one built like above; e.g.
#                    a deliberately broken copy, to see the checks fail)
#   --chromium PATH  the browser (default: chromium from PATH)
#   --keep DIR       copy the run folders, report, DOM dump and screenshots to DIR
# Exit codes: 0 every check passed, 1 a check failed, 64 usage,
#             77 Chromium is not installed (CTest: skipped).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
sample=$repo/tests/data/medquad-sample.jsonl.gz
config=$repo/configs/demo.yaml
# Screenshots at 1280x12000: this report ~990 kB, the same page with empty
# charts ~830 kB (one chart adds ~15-20 kB), a blank page ~70 kB.
min_png_bytes=150000
min_chart_png_bytes=2000

# Expected charts: title prefix, chart type, how many (one gap histogram and
# one gap-closed chart per scores folder that has amortized, refined and ln-vi).
expected_charts='ELBO per token by training step|line|1
Time per epoch|line|1
Documents per second by method (log scale)|bar|1
Document-completion perplexity by method|bar|1
Amortization gap per document|histogram|2
Share of the gap closed by refined|bar|2
Speedup over the fewest ranks|line|1'

usage() {
  sed -n '20,27p' "$0" >&2
  exit 64
}

ntm='' report='' chromium_bin=chromium keep=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --ntm) ntm=${2:-}; shift 2 || usage ;;
    --report) report=${2:-}; shift 2 || usage ;;
    --chromium) chromium_bin=${2:-}; shift 2 || usage ;;
    --keep) keep=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
if [[ -n $report ]]; then
  [[ -f $report ]] || { echo "report_browser_test: no file $report" >&2; exit 64; }
  report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
elif [[ -z $ntm || ! -x $ntm ]]; then
  echo "report_browser_test: --ntm must name the ntm binary" >&2
  usage
fi
if ! chromium=$(command -v "$chromium_bin"); then
  echo "report_browser_test: SKIPPED: '$chromium_bin' not found; install the Debian package chromium" \
    "(bash jobs/setup-debian.sh chromium) to run this test" >&2
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntm-report-browser.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mpi=(mpirun --oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)

# run_logged NAME COMMAND...: runs the command with its output in $tmp/NAME.log,
# shown only when it fails.
run_logged() {
  local name=$1
  shift
  if ! "$@" >"$tmp/$name.log" 2>&1; then
    echo "FAIL $name: $*" >&2
    tail -n 30 "$tmp/$name.log" >&2
    exit 1
  fi
}

# A note planted in the input, in one document only: neither the sentence nor
# its made-up words (below vocab.min_df) may reach any report file.
planted_sentence='Zorbleth Quenvarine was admitted after the Hyxtrapolis ferry accident'
planted_words=(zorbleth quenvarine hyxtrapolis)

make_runs() {
  zcat "$sample" >"$tmp/input.jsonl"
  printf '{"id": "planted-note", "text": "%s. %s"}\n' "$planted_sentence" \
    "$(zcat "$sample" | head -n 1 | sed 's/.*"text": "//; s/"}$//')" >>"$tmp/input.jsonl"
  run_logged tokenize "${mpi[@]}" -np 2 "$ntm" tokenize --config "$config" --input "$tmp/input.jsonl" \
    --out "$tmp/corpus"
  run_logged train "${mpi[@]}" -np 2 "$ntm" train --config "$config" --corpus "$tmp/corpus" \
    --out "$tmp/model" --set train.epochs=20
  local p
  for p in 1 2; do
    run_logged "score-p$p" "${mpi[@]}" -np "$p" "$ntm" score --config "$config" --model "$tmp/model" \
      --corpus "$tmp/corpus" --out "$tmp/scores-p$p" --methods amortized,refined,classical,ln-vi
  done
  run_logged report "$ntm" report --out "$tmp/report" "$tmp/corpus" "$tmp/model" \
    "$tmp/scores-p1" "$tmp/scores-p2"
}

# No document text in any report file (report.html, .json, .md, run files).
check_no_document_text() {
  local dir=$1 needle failed=0 written
  written=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["documents"]["written"])' \
    "$tmp/corpus/manifest.json")
  if [[ $written -ne $(wc -l <"$tmp/input.jsonl") ]]; then
    echo "FAIL the planted note was not tokenized ($written documents written)"
    return 1
  fi
  for needle in "$planted_sentence" "${planted_words[@]}"; do
    if grep -rqiF -- "$needle" "$dir"; then
      echo "FAIL the planted note's text ($needle) is in $(grep -rliF -- "$needle" "$dir" | head -n 1)"
      failed=1
    fi
  done
  [[ $failed -eq 0 ]] && echo "ok   the planted note's sentence and words are in no report file"
  return "$failed"
}

# The report a user opens must stay self-contained and script-free.
check_static_report() {
  local html=$1 failed=0
  if grep -qi '<script' "$html"; then echo "FAIL report.html contains <script"; failed=1; fi
  if grep -Eqi '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$html"; then
    echo "FAIL report.html loads a resource from elsewhere (src/href with http(s):// or //)"
    failed=1
  fi
  if grep -Eqi 'url\([[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$html"; then
    echo "FAIL report.html has a CSS url() to elsewhere"
    failed=1
  fi
  [[ $failed -eq 0 ]] && echo "ok   report.html has no <script> and no external src/href/url()"
  return "$failed"
}

# The checker injected into the copy: measures every svg.chart once the page
# has loaded and writes JSON into <pre id="ntm-render-check">.
write_checker_script() {
  cat <<'JS'
<script>
(() => {
  const TOL = 2;  // viewBox units a text may stick out (anti-aliasing, rounding)
  const viewBoxOf = (svg) => svg.viewBox.baseVal || {x: 0, y: 0, width: 0, height: 0};
  // A client rect in the svg's viewBox units.
  const toViewBox = (svg, r) => {
    const s = svg.getBoundingClientRect(), vb = viewBoxOf(svg);
    const kx = vb.width / s.width, ky = vb.height / s.height;
    return {x0: vb.x + (r.left - s.left) * kx, x1: vb.x + (r.right - s.left) * kx,
            y0: vb.y + (r.top - s.top) * ky, y1: vb.y + (r.bottom - s.top) * ky};
  };
  const insideViewBox = (svg, el) => {
    const b = toViewBox(svg, el.getBoundingClientRect()), vb = viewBoxOf(svg);
    return b.x0 >= vb.x - TOL && b.y0 >= vb.y - TOL &&
           b.x1 <= vb.x + vb.width + TOL && b.y1 <= vb.y + vb.height + TOL;
  };
  // Geometry that could show: an area for rects, a length for lines.
  const nonEmpty = (el) => {
    const b = el.getBBox();
    return el.tagName === 'rect' ? b.width > 0 && b.height > 0 : b.width > 0 || b.height > 0;
  };
  // Does the point hit `el`? Every other element of its chart is made
  // transparent to hits meanwhile, so marks that legitimately overlap (two
  // series with the same values) do not hide each other; `el` itself is hit
  // only where the browser paints it (pointer-events: visiblePainted).
  const hits = (el, x, y) => {
    const all = Array.from(el.ownerSVGElement.querySelectorAll('*'));
    for (const e of all) e.style.pointerEvents = 'none';
    el.style.pointerEvents = 'visiblePainted';
    const hit = document.elementFromPoint(x, y) === el;
    for (const e of all) e.style.pointerEvents = '';
    return hit;
  };
  // At least one CSS pixel each way: what a reader can see (a bin of one
  // document in a tall histogram may be 0.2 px high).
  const drawable = (el) => {
    const r = el.getBoundingClientRect();
    return r.width >= 1 && r.height >= 1;
  };
  // A rect is painted when one of nine points inside it hits it.
  const rectPainted = (el) => {
    const r = el.getBoundingClientRect();
    if (!drawable(el)) return false;
    for (const fx of [0.25, 0.5, 0.75]) {
      for (const fy of [0.25, 0.5, 0.75]) {
        if (hits(el, r.left + fx * r.width, r.top + fy * r.height)) return true;
      }
    }
    return false;
  };
  // A line is painted when one of 39 points along it hits it.
  const linePainted = (el) => {
    const ctm = el.getScreenCTM(), length = el.getTotalLength();
    for (let i = 1; i < 40 && length > 0; ++i) {
      const p = el.getPointAtLength(length * i / 40).matrixTransform(ctm);
      if (hits(el, p.x, p.y)) return true;
    }
    return false;
  };
  const vertices = (el) => el.points ? el.points.numberOfItems
                                     : ((el.getAttribute('d') || '').match(/[MLHVCSQTA]/gi) || []).length;
  const isLegendRect = (el) => el.nextElementSibling !== null &&
                               el.nextElementSibling.matches('text.legend');
  const dataRects = (svg) => Array.from(svg.querySelectorAll('rect')).filter((r) => !isLegendRect(r));
  const lines = (svg) => Array.from(svg.querySelectorAll('polyline, path')).map((el) => ({
    points: vertices(el), visible: nonEmpty(el), painted: linePainted(el)}));
  // Bar rows: a text.bar-label followed by its bars.
  const barRows = (svg) => {
    const rows = [];
    for (const el of svg.children) {
      if (el.matches('text.bar-label')) rows.push({bars: 0, drawable: 0, painted: 0});
      else if (el.matches('rect') && rows.length > 0 && !isLegendRect(el)) {
        const row = rows[rows.length - 1];
        row.bars += 1;
        row.drawable += drawable(el) ? 1 : 0;
        row.painted += rectPainted(el) ? 1 : 0;
      }
    }
    return rows;
  };
  const texts = (svg) => {
    const all = Array.from(svg.querySelectorAll('text')).filter((t) => t.textContent.trim() !== '');
    return {count: all.length, visible: all.filter(nonEmpty).length,
            outside: all.filter((t) => !insideViewBox(svg, t)).map((t) => t.textContent.slice(0, 40))};
  };
  const kindOf = (svg) => svg.querySelector('polyline, path') ? 'line'
                        : svg.querySelector('text.bar-label') ? 'bar' : 'histogram';
  const measure = (svg) => {
    svg.scrollIntoView({block: 'center'});
    const r = svg.getBoundingClientRect(), vb = viewBoxOf(svg), rects = dataRects(svg);
    const markers = Array.from(svg.querySelectorAll('line.marker'));
    return {
      title: svg.getAttribute('aria-label'), kind: kindOf(svg),
      width: r.width, height: r.height, viewBox: [vb.x, vb.y, vb.width, vb.height],
      lines: lines(svg), rows: barRows(svg),
      rects: {count: rects.length, visible: rects.filter(nonEmpty).length,
              drawable: rects.filter(drawable).length, painted: rects.filter(rectPainted).length},
      markers: {count: markers.length, visible: markers.filter(nonEmpty).length,
                painted: markers.filter(linePainted).length},
      texts: texts(svg)};
  };
  const run = () => {
    let result;
    try {
      result = {charts: Array.from(document.querySelectorAll('svg.chart')).map(measure)};
    } catch (e) {
      result = {error: String(e && e.stack || e)};
    }
    const pre = document.createElement('pre');
    pre.id = 'ntm-render-check';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  };
  if (document.readyState === 'complete') run(); else window.addEventListener('load', run);
})();
</script>
JS
}

# inject_checker REPORT COPY: the copy gets the checker before </body> and a
# Content-Security-Policy that lets this one inline script run.
inject_checker() {
  write_checker_script >"$tmp/checker.html"
  python3 - "$1" "$2" "$tmp/checker.html" <<'PY'
import sys
src, dst, checker = sys.argv[1:]
html = open(src, encoding="utf-8").read()
csp = "style-src 'unsafe-inline'"
if html.count("</body>") != 1 or csp not in html:
    sys.exit("FAIL report.html: expected one </body> and the CSP " + csp)
html = html.replace(csp, csp + "; script-src 'unsafe-inline'", 1)
html = html.replace("</body>", open(checker, encoding="utf-8").read() + "</body>", 1)
open(dst, "w", encoding="utf-8").write(html)
PY
}

# run_chromium NAME ARGS...: headless Chromium with its own throw-away profile;
# stderr (D-Bus noise) goes to $tmp/NAME.err and is shown only on failure.
run_chromium() {
  local name=$1
  shift
  # --disable-dev-shm-usage: containers often have a 64 MB /dev/shm.
  if ! timeout 60 "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$tmp/chromium-profile-$name" "$@" 2>"$tmp/$name.err"; then
    echo "FAIL chromium ($name) failed or timed out; its stderr:" >&2
    tail -n 30 "$tmp/$name.err" >&2
    return 1
  fi
}

# check_render DUMPED_DOM REPORT: the per-chart assertions on the browser's JSON.
check_render() {
  EXPECTED_CHARTS=$expected_charts python3 - "$1" "$2" <<'PY'
import html, json, os, re, sys

dom_path, report_path = sys.argv[1:]
dom = open(dom_path, encoding="utf-8").read()
report = open(report_path, encoding="utf-8").read()
failures = []

def fail(message):
    failures.append(message)
    print("FAIL " + message)

m = re.search(r'<pre id="ntm-render-check">(.*?)</pre>', dom, re.S)
if not m:
    sys.exit("FAIL the browser wrote no render check (script blocked or page not loaded)")
result = json.loads(html.unescape(m.group(1)))
if "error" in result:
    sys.exit("FAIL the render check threw: " + result["error"])
charts = result["charts"]

expected = []
for line in os.environ["EXPECTED_CHARTS"].splitlines():
    prefix, kind, count = line.split("|")
    expected.append((prefix, kind, int(count)))

in_html = len(re.findall(r'<svg class="chart"', report))
if len(charts) != in_html:
    fail(f"the browser rendered {len(charts)} charts, report.html has {in_html}")
if len(charts) < sum(n for _, _, n in expected):
    fail(f"{len(charts)} charts, expected at least {sum(n for _, _, n in expected)}")
for prefix, _, count in expected:
    found = sum(1 for c in charts if (c["title"] or "").startswith(prefix))
    if found != count:
        fail(f"{found} chart(s) titled '{prefix}...', expected {count}")

def expected_kind(chart):
    for prefix, kind, _ in expected:
        if (chart["title"] or "").startswith(prefix):
            return kind
    return chart["kind"]

def check_line(c):
    lines = c["lines"]
    problems = [] if lines else ["no polyline/path"]
    for i, line in enumerate(lines):
        if line["points"] < 2 or not line["visible"] or not line["painted"]:
            problems.append(f"series {i + 1}: {line['points']} points, "
                            f"visible={line['visible']}, painted={line['painted']}")
    return problems, f"{len(lines)} series, {sum(l['points'] for l in lines)} points"

def check_bar(c):
    rows = c["rows"]
    problems = [] if rows else ["no bar rows"]
    bad = [i + 1 for i, r in enumerate(rows) if r["drawable"] < 1 or r["painted"] < r["drawable"]]
    if bad:
        problems.append(f"rows without a bar of >= 1 px, or with a bar not painted: {bad}")
    bars = sum(r["bars"] for r in rows)
    painted = sum(r["painted"] for r in rows)
    return problems, f"{len(rows)} rows, {painted}/{bars} bars painted"

def check_histogram(c):
    rects, markers = c["rects"], c["markers"]
    problems = []
    if rects["drawable"] < 5 or rects["painted"] < rects["drawable"]:
        problems.append(f"{rects['drawable']} bins of >= 1 px, {rects['painted']} painted "
                        "(need >= 5, all painted)")
    if markers["count"] < 1 or min(markers["visible"], markers["painted"]) < markers["count"]:
        problems.append(f"marker lines: {markers['count']}, {markers['visible']} visible, "
                        f"{markers['painted']} painted")
    thin = rects["visible"] - rects["drawable"]
    return problems, (f"{rects['painted']}/{rects['count']} bins painted"
                      + (f" ({thin} non-empty but < 1 px)" if thin else "")
                      + f", {markers['painted']} markers painted")

checks = {"line": check_line, "bar": check_bar, "histogram": check_histogram}
for c in charts:
    kind = expected_kind(c)
    problems, marks = checks[kind](c)
    if c["width"] <= 300 or c["height"] <= 100:
        problems.append(f"rendered {c['width']:.0f}x{c['height']:.0f} px (need > 300x100)")
    if c["viewBox"][2] <= 0 or c["viewBox"][3] <= 0:
        problems.append(f"viewBox {c['viewBox']}")
    if c["kind"] != kind:
        problems.append(f"drawn as a {c['kind']} chart, expected {kind}")
    texts = c["texts"]
    if texts["count"] < 3 or texts["visible"] < texts["count"]:
        problems.append(f"texts {texts['visible']}/{texts['count']} visible")
    if texts["outside"]:
        problems.append(f"{len(texts['outside'])} text(s) outside the viewBox: {texts['outside'][:3]}")
    status = "FAIL" if problems else "ok  "
    print(f"{status} [{kind}] {c['title']}: {c['width']:.0f}x{c['height']:.0f} px, {marks}, "
          f"{texts['count']} texts")
    for p in problems:
        failures.append(f"{c['title']}: {p}")
        print(f"       {p}")

print(f"{'PASS' if not failures else 'FAIL'}: {len(charts)} charts in the browser, "
      f"{len(failures)} problem(s)")
sys.exit(1 if failures else 0)
PY
}

# empty_charts REPORT COPY: the same page with every chart's content removed
# (the svg elements stay, so the layout is the same).
empty_charts() {
  python3 - "$1" "$2" <<'PY'
import re, sys
src, dst = sys.argv[1:]
html = open(src, encoding="utf-8").read()
open(dst, "w", encoding="utf-8").write(
    re.sub(r'(<svg class="chart"[^>]*>).*?</svg>', r"\1</svg>", html, flags=re.S))
PY
}

png_bytes() {
  if [[ -s $1 && $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; then
    stat -c %s "$1"
  else
    echo 0
  fi
}

# check_screenshots REPORT_PNG EMPTIED_PNG CHARTS: the report's screenshot is a
# PNG larger than a blank page, and its charts add pixels (PNG bytes) to the
# same page with empty charts.
check_screenshots() {
  local bytes emptied need
  bytes=$(png_bytes "$1") emptied=$(png_bytes "$2")
  need=$((emptied + min_chart_png_bytes * $3))
  if [[ $bytes -le $min_png_bytes ]]; then
    echo "FAIL screenshot report.png: $bytes bytes, a blank page is below $min_png_bytes"
    return 1
  fi
  if [[ $emptied -eq 0 || $bytes -lt $need ]]; then
    echo "FAIL screenshot report.png: $bytes bytes, need >= $need ($emptied with empty charts" \
      "+ $min_chart_png_bytes per chart)"
    return 1
  fi
  echo "ok   screenshot report.png: $bytes bytes (> $min_png_bytes; with empty charts: $emptied)"
}

screenshot() {
  run_chromium "shot-$(basename "$2" .png)" --window-size=1280,12000 --hide-scrollbars \
    --screenshot="$2" "file://$1" >/dev/null
}

main() {
  local start=$SECONDS status=0
  if [[ -z $report ]]; then
    make_runs
    report=$tmp/report/report.html
    echo "ok   runs and report built in $((SECONDS - start)) s"
    check_no_document_text "$tmp/report" || status=1
  fi
  check_static_report "$report" || status=1
  inject_checker "$report" "$tmp/checked.html"
  run_chromium dump --window-size=1280,4000 --dump-dom "file://$tmp/checked.html" >"$tmp/dom.html" ||
    exit 1
  check_render "$tmp/dom.html" "$report" || status=1
  empty_charts "$report" "$tmp/empty-charts.html"
  screenshot "$report" "$tmp/report.png" || status=1
  screenshot "$tmp/empty-charts.html" "$tmp/empty-charts.png" || status=1
  check_screenshots "$tmp/report.png" "$tmp/empty-charts.png" \
    "$(grep -o '<svg class="chart"' "$report" | wc -l)" || status=1
  if [[ -n $keep ]]; then
    mkdir -p "$keep" && cp -r "$tmp"/. "$keep"/
  fi
  echo "$([[ $status -eq 0 ]] && echo PASS || echo FAIL): report_browser_test in $((SECONDS - start)) s"
  return "$status"
}

main
