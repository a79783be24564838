// Side-by-side report of one benchmark configuration (called by bench/run.sh).
//
//   node bench/report.mjs --dir DIR --name NAME [--csv-file FILE]
//
// DIR holds what run.sh produced: librfm.json (rfmbench), lib-*.csv,
// rfm-score.json (rfmrun) and rfm-score.csv, and when DuckDB ran:
// duckdb.json, duck-*.csv, duckdb-csv.json, duck-csv.csv. Per-customer
// results are compared first (customer, recency, frequency, monetary, r, f,
// m, segment, in customer order); a ratio is printed only for a phase whose
// results are equal on both sides. Writes DIR/table.txt and DIR/results.json;
// exits 1 when a comparison fails.
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const dir = arg('--dir');
const name = arg('--name', 'bench');
if (!dir) {
  console.error('usage: report.mjs --dir DIR --name NAME');
  process.exit(2);
}
const path = (f) => `${dir}/${f}`;
const load = (f) => (existsSync(path(f)) ? JSON.parse(readFileSync(path(f), 'utf8')) : null);
if (args.includes('--scaling')) {
  scalingReport();
  process.exit(0);
}

const lib = load('librfm.json');
const duck = load('duckdb.json');
const rfmScore = load('rfm-score.json');
const duckCsv = load('duckdb-csv.json');
// `rfm score --timings`: "reading and parsing S s busy, MB MB, R MB/s (...)"
const readingSide = (() => {
  if (!existsSync(path('rfm-timings.txt'))) return null;
  const m = /reading and parsing ([0-9.]+) s busy, ([0-9.]+) MB, ([0-9]+) MB\/s/.exec(
    readFileSync(path('rfm-timings.txt'), 'utf8'));
  return m ? { seconds: Number(m[1]), mb: Number(m[2]), mbs: Number(m[3]) } : null;
})();
const revision = existsSync(path('revision.txt')) ? readFileSync(path('revision.txt'), 'utf8').trim() : 'unknown';
const notes = existsSync(path('notes.txt')) ? readFileSync(path('notes.txt'), 'utf8').split('\n').filter(Boolean) : [];
if (!lib) {
  console.error(`report: ${path('librfm.json')} missing`);
  process.exit(2);
}

// ------------------------------------------------------------ checks

// Compares two result CSVs on their first 8 columns (SPEC 7: customer_id,
// recency_days, frequency, monetary, r, f, m, segment), line by line.
function compareFiles(a, b) {
  if (!existsSync(a) || !existsSync(b)) return { ok: false, detail: `missing ${existsSync(a) ? b : a}` };
  const x = readFileSync(a), y = readFileSync(b);
  const rows = (buf) => {
    let n = 0;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
    return n - 1; // header
  };
  if (x.equals(y)) return { ok: true, rows: rows(x) };
  const lx = x.toString('utf8').split('\n'), ly = y.toString('utf8').split('\n');
  const head8 = (l) => l.split(',').slice(0, 8).join(',');
  const n = Math.max(lx.length, ly.length);
  for (let i = 0; i < n; i++) {
    if (head8(lx[i] ?? '') !== head8(ly[i] ?? '')) {
      return { ok: false, detail: `line ${i + 1}: '${lx[i] ?? '<end>'}' vs '${ly[i] ?? '<end>'}'` };
    }
  }
  return { ok: true, rows: rows(x) };
}

const checks = {};
const check = (key, a, b) => {
  checks[key] = compareFiles(path(a), path(b));
  return checks[key].ok;
};
const sameCutoffs = (a, b) => a && b && ['R', 'F', 'M'].every((d) => JSON.stringify(a[d]) === JSON.stringify(b[d]));
if (duck) {
  check('quantile', 'lib-quantile.csv', 'duck-quantile.csv');
  if (existsSync(path('lib-ntile.csv'))) check('ntile', 'lib-ntile.csv', 'duck-ntile.csv');
  if (existsSync(path('lib-increment.csv'))) check('increment', 'lib-increment.csv', 'duck-increment.csv');
  checks.cutoffs = { ok: sameCutoffs(lib.cutoffs, duck.cutoffs) };
  if (!checks.cutoffs.ok) checks.cutoffs.detail = `librfm ${JSON.stringify(lib.cutoffs)} vs DuckDB ${JSON.stringify(duck.cutoffs)}`;
  if (duck.cutoffs_verified !== undefined) {
    checks.quantile_disc = { ok: duck.cutoffs_verified, detail: 'quantile_disc vs row_number order statistics' };
  }
}
if (rfmScore && rfmScore.exit === 0) {
  // rfm score (string keys) sees the same customers as the u64 run; its
  // 10-digit ids sort the same bytewise as numerically.
  check('rfm_score_vs_inmemory', 'rfm-score.csv', 'lib-quantile.csv');
  if (duckCsv) check('csv', 'rfm-score.csv', 'duck-csv.csv');
}
const ok = (k) => checks[k] && checks[k].ok;
const failed = Object.entries(checks).filter(([, v]) => !v.ok);

// ------------------------------------------------------------ machine

function machine() {
  let model = '';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    model = m ? m[1].trim() : '';
  } catch { /* not Linux */ }
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: model || (os.cpus()[0] || {}).model || 'unknown',
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}
const mach = machine();

// ------------------------------------------------------------ table

const s = lib.seconds;
const fmtT = (t) => (t == null ? '-' : t < 0.1 ? `${(t * 1000).toFixed(1)} ms` : `${t.toFixed(3)} s`);
const fmtN = (x, d = 0) => (x == null ? '-' : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const fmtMB = (b) => `${(b / 1e6).toFixed(1)} MB`;
const mrate = (n, t) => (t > 0 ? `${(n / t / 1e6).toFixed(2)} M/s` : '-');
const ratio = (theirs, ours, valid) => {
  if (!valid) return 'no ratio: results differ';
  if (theirs == null || ours == null || ours <= 0) return '-';
  return `${(theirs / ours).toFixed(2)}x`;
};
const verdict = (x, target) => (x == null ? '' : x >= target ? 'met' : 'NOT met');

const lines = [];
const out = (l = '') => lines.push(l);
const row = (label, a, b, r, target = '') =>
  out(`  ${label.padEnd(44)} ${String(a).padStart(12)} ${String(b).padStart(12)} ${String(r).padStart(14)}  ${target}`);

const duckName = duck ? `DuckDB ${duck.version}` : duckCsv ? `DuckDB ${duckCsv.version}` : 'DuckDB (not run)';
const duckThreads = duck ? duck.threads : duckCsv ? duckCsv.threads : null;
out(`${name}: librfm ${lib.version} (${revision}) vs ${duckName}`);
out(`data: ${fmtN(lib.rows)} transactions (+${fmtN(lib.increment)} increment), ${fmtN(lib.customers)} customers ` +
    `(${fmtN(lib.scored)} scored), ${lib.keys} keys in memory, Zipf-like s=${lib.zipf}, seed ${lib.seed}, ` +
    `${lib.bins} bins, ${lib.layout === 'columns' ? 'columns' : 'row structs'} in ${lib.batch >= lib.rows ? 'one batch' : `batches of ${fmtN(lib.batch)}`}, best of ${lib.repeat}`);
out(`machine: ${mach.nproc} cores, ${mach.cpu}, ${mach.memory_gib} GiB RAM; threads: librfm ${lib.threads ?? 1}, DuckDB ${duckThreads ?? '-'}`);
if (duck || rfmScore) {
  const list = Object.entries(checks).map(([k, v]) => `${k} ${v.ok ? `ok${v.rows != null ? ` (${fmtN(v.rows)} rows)` : ''}` : 'DIFFERENT'}`);
  out(`checked equal before any ratio: ${list.join(', ') || 'nothing to compare'}`);
}
for (const [k, v] of failed) out(`CHECK FAILED ${k}: ${v.detail || ''}`);
for (const n of notes) out(`note: ${n}`);
out();
out(`  ${''.padEnd(44)} ${'librfm'.padStart(12)} ${'DuckDB'.padStart(12)} ${'DuckDB/librfm'.padStart(14)}  target`);

const d = duck ? duck.seconds : {};
const inmemOk = duck && ok('quantile') && ok('cutoffs');
const ingestCompute = s.ingest + s.compute;
const results = { name, revision, machine: mach, librfm: lib, duckdb: duck, duckdb_csv: duckCsv, rfm_score: rfmScore, checks, notes, ratios: {}, targets: {} };

out('in memory (librfm: rows already in memory; DuckDB: table already loaded)');
row('ingest rows', fmtT(s.ingest), '', '');
row('  transactions/s', mrate(lib.rows, s.ingest), '', '');
row(lib.layout === 'columns' ? `  MB/s (${lib.row_bytes} bytes a row, in three columns)`
  : `  MB/s (${lib.row_bytes}-byte ${lib.layout ?? 'rfm_row_u64'} structs)`,
  (lib.rows * lib.row_bytes / 1e6 / s.ingest).toFixed(0), '', '');
row('DuckDB: load CSV into table (not compared)', '', fmtT(d.load), '');
row('compute / query (quantile)', fmtT(s.compute), fmtT(d.query), ratio(d.query, s.compute, inmemOk));
const rIC = duck && inmemOk ? d.query / ingestCompute : null;
row('ingest + compute vs query on loaded table', fmtT(ingestCompute), fmtT(d.query), ratio(d.query, ingestCompute, inmemOk), `>= 5x ${verdict(rIC, 5)}`);
results.ratios.ingest_compute_vs_query = rIC;
results.targets.ingest_compute_vs_query = { target: 5, value: rIC, met: rIC != null && rIC >= 5 };
if (d.query_1thread != null) {
  row('  same, DuckDB with 1 thread', fmtT(ingestCompute), fmtT(d.query_1thread), ratio(d.query_1thread, ingestCompute, inmemOk));
  results.ratios.ingest_compute_vs_query_1thread = inmemOk ? d.query_1thread / ingestCompute : null;
}
if (s.compute_ntile != null) {
  row('compute / query (ntile)', fmtT(s.compute_ntile), fmtT(d.query_ntile), ratio(d.query_ntile, s.compute_ntile, duck && ok('ntile')));
  results.ratios.ntile_compute_vs_query = duck && ok('ntile') ? d.query_ntile / s.compute_ntile : null;
}
row('export in key order (not timed in ratios)', fmtT(s.export), fmtT(d.export), '');

if (s.increment != null) {
  out(`after ${fmtN(lib.increment)} new transactions`);
  const incrOk = duck && ok('increment');
  const incr = s.increment + s.recompute;
  row('ingest increment / INSERT', fmtT(s.increment), fmtT(d.increment_insert), '');
  row('recompute / full query', fmtT(s.recompute), fmtT(d.query_after_increment), ratio(d.query_after_increment, s.recompute, incrOk));
  const rInc = incrOk ? d.query_after_increment / incr : null;
  row('ingest + recompute vs full query', fmtT(incr), fmtT(d.query_after_increment), ratio(d.query_after_increment, incr, incrOk), `>= 20x ${verdict(rInc, 20)}`);
  results.ratios.increment_recompute_vs_query = rInc;
  results.targets.increment_recompute_vs_query = { target: 20, value: rInc, met: rInc != null && rInc >= 20 };
}

if (rfmScore) {
  const bytes = rfmScore.input_bytes;
  out(`CSV end to end (${fmtMB(bytes)} file; rfm score -o FILE vs COPY (read_csv + query ORDER BY) TO FILE)`);
  if (rfmScore.exit !== 0) {
    row('rfm score', `exit ${rfmScore.exit}`, '', '');
  } else {
    const dc = duckCsv ? duckCsv.seconds.csv_end_to_end : null;
    const csvOk = duckCsv && ok('csv');
    const rCsv = csvOk ? dc / rfmScore.seconds : null;
    row('time', fmtT(rfmScore.seconds), fmtT(dc), ratio(dc, rfmScore.seconds, csvOk), `>= 5x ${verdict(rCsv, 5)}`);
    const mbs = bytes / 1e6 / rfmScore.seconds;
    row('MB/s', mbs.toFixed(0), dc ? (bytes / 1e6 / dc).toFixed(0) : '-', '', `>= 400 MB/s ${verdict(mbs, 400)}`);
    if (readingSide) {
      row('  MB/s, reading side (read + parse, busy time)', readingSide.mbs.toFixed(0), '', '',
        `>= 400 MB/s ${verdict(readingSide.mbs, 400)}`);
      results.targets.csv_reading_side_mb_per_s = { target: 400, value: readingSide.mbs, met: readingSide.mbs >= 400 };
    }
    row('transactions/s', mrate(lib.rows, rfmScore.seconds), dc ? mrate(lib.rows, dc) : '-', '');
    row('peak RSS (process)', fmtMB(rfmScore.peak_rss_bytes), duckCsv ? fmtMB(duckCsv.peak_rss_bytes) : '-', '');
    results.ratios.csv_vs_duckdb = rCsv;
    results.targets.csv_vs_duckdb = { target: 5, value: rCsv, met: rCsv != null && rCsv >= 5 };
    results.targets.csv_mb_per_s = { target: 400, value: mbs, met: mbs >= 400 };
  }
}

out('memory');
const bpc = lib.bytes_live_after_compute / lib.customers;
row('bytes per customer (context, after ingest)', (lib.bytes_live_after_ingest / lib.customers).toFixed(1), '', '');
row('bytes per customer (after compute)', bpc.toFixed(1), '', '', `<= 64 ${bpc <= 64 ? 'met' : 'NOT met'}`);
row('peak RSS (process; DuckDB: node + table)', fmtMB(lib.peak_rss_bytes), duck ? fmtMB(duck.peak_rss_bytes) : '-', '');
results.targets.bytes_per_customer = { target: 64, value: bpc, met: bpc <= 64 };

out('snapshot');
const snap = lib.snapshot || {};
if (snap.state === 'ok') {
  const mbs = (t) => `${(snap.bytes / 1e6 / t).toFixed(0)} MB/s`;
  row('rfm_save (file, fsync, rename)', fmtT(s.save), '', '', mbs(s.save));
  row('rfm_load (then compute: same results)', fmtT(s.load), '', '', mbs(s.load));
  row('snapshot size', fmtMB(snap.bytes), '', '');
  row('  bytes per customer', (snap.bytes / lib.customers_after_increment).toFixed(1), '', '');
} else {
  out(`  ${snap.state || 'not run'}: ${snap.message || ''}`);
}

const text = lines.join('\n');
console.log(text);
writeFileSync(path('table.txt'), text + '\n');
writeFileSync(path('results.json'), JSON.stringify(results, null, 2) + '\n');
process.exit(failed.length ? 1 : 0);

// ------------------------------------------------------------ scaling (--scaling)

// DIR/scaling-N-C.json from rfmbench runs at several sizes: cost per
// transaction, in two series (customers = transactions / 10; customers fixed).
function scalingReport() {
  const runs = readdirSync(dir).filter((f) => /^scaling-\d+-\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(path(f), 'utf8')));
  const series = [
    ['customers = transactions / 10', runs.filter((r) => r.customers_requested * 10 === r.rows)],
    ['customers fixed at 1,000,000', runs.filter((r) => r.customers_requested === 1000000)],
  ];
  const mach = machine();
  const lines = [];
  const out = (l = '') => lines.push(l);
  const ns = (t, n) => ((t / n) * 1e9).toFixed(1);
  const cols = ['transactions', 'customers', 'ingest s', 'compute s', 'ns/tx ingest', 'ns/tx total', 'vs first', 'bytes/cust', 'peak RSS'];
  const fmt = (cells) => cells.map((c, i) => (i ? String(c).padStart(12) : String(c).padEnd(12))).join(' ');
  const rev = existsSync(path('revision.txt')) ? readFileSync(path('revision.txt'), 'utf8').trim() : 'unknown';
  out(`scaling: librfm ${runs[0]?.version ?? ''} (${rev}) in memory, u64 keys, 1 thread, best of ${runs[0]?.repeat ?? '-'}`);
  out(`machine: ${mach.nproc} cores, ${mach.cpu}, ${mach.memory_gib} GiB RAM`);
  const results = { name: 'scaling', revision: rev, machine: mach, series: {} };
  for (const [title, list] of series) {
    list.sort((a, b) => a.rows - b.rows);
    if (!list.length) continue;
    out();
    out(title);
    out(fmt(cols));
    const base = (list[0].seconds.ingest + list[0].seconds.compute) / list[0].rows;
    results.series[title] = list.map((r) => {
      const s = r.seconds, tot = s.ingest + s.compute;
      const rec = {
        rows: r.rows, customers: r.customers, ingest_s: s.ingest, compute_s: s.compute,
        ns_per_tx_ingest: (s.ingest / r.rows) * 1e9, ns_per_tx_total: (tot / r.rows) * 1e9,
        relative_cost: tot / r.rows / base,
        bytes_per_customer: r.bytes_live_after_compute / r.customers, peak_rss_bytes: r.peak_rss_bytes,
      };
      out(fmt([r.rows.toLocaleString('en-US'), r.customers.toLocaleString('en-US'), s.ingest.toFixed(3),
        s.compute.toFixed(3), ns(s.ingest, r.rows), ns(tot, r.rows), `${rec.relative_cost.toFixed(2)}x`,
        rec.bytes_per_customer.toFixed(1), `${(r.peak_rss_bytes / 1e6).toFixed(0)} MB`]));
      return rec;
    });
  }
  out();
  out('(linear scaling: the cost per transaction stays flat, "vs first" near 1.00x)');
  const text = lines.join('\n');
  console.log(text);
  writeFileSync(path('table.txt'), text + '\n');
  writeFileSync(path('results.json'), JSON.stringify(results, null, 2) + '\n');
}
