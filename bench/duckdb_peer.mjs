// DuckDB peer of the librfm benchmark: the same SPEC semantics in SQL.
//
//   node bench/duckdb_peer.mjs table --csv FILE [--increment-csv FILE] --out PREFIX
//        [--json FILE] [--threads T] [--bins B] [--repeat R] [--no-ntile]
//        [--verify-cutoffs] [--threads1]
//   node bench/duckdb_peer.mjs csv --csv FILE --out FILE [--json FILE] [--threads T]
//        [--bins B] [--repeat R]
//
// table: loads the CSV into an in-memory table tx(customer UBIGINT, ts TIMESTAMP,
//   amount DECIMAL(18,2)) (timed: "load"), then times the RFM query over the
//   loaded table (quantile, then ntile), materialised with CREATE TABLE AS;
//   writes the results sorted by customer to PREFIX-quantile.csv / -ntile.csv
//   (not timed: "export"), inserts the increment rows (timed) and times the full
//   query again (PREFIX-increment.csv). --threads1 also times the quantile
//   query with one thread. --verify-cutoffs checks quantile_disc against
//   explicit order statistics x_(ceil(k*n/B)) taken with row_number().
// csv: the end-to-end counterpart of `rfm score FILE`: read_csv + query +
//   ORDER BY + COPY to a CSV file, one statement (customer ids as VARCHAR,
//   ordered bytewise like librfm's string keys).
// Each query runs once untimed (warm-up), then --repeat times; the fastest is
// reported (loads and the INSERT run once). The JSON also carries every
// time, the cutoffs and the process's peak RSS after each phase.
//
// Semantics (SPEC 2-4): frequency = purchase lines (amount >= 0, no purchase
// keys in this data), monetary = net sum, last purchase = latest purchase
// line, customers without a purchase are unscored (left out); as-of day =
// latest purchase day + 1; recency = as_of - day(last purchase).
// quantile: c_k = x_(ceil(k*n/B)) via quantile_disc with exact DECIMAL
// fractions k/B (DuckDB's discrete index is max(1, ceil(n*q)) - 1, computed
// in integer arithmetic for DECIMAL q; checked by --verify-cutoffs);
// F, M = 1 + #{k: x > c_k}, R = B - #{k: r > c_k}.
// ntile: NTILE(B) OVER (ORDER BY value, customer), R by (recency DESC, customer).
// Segments: the default R x F preset (SPEC 5), mapping s -> ceil(5s/B).
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// The package lives in the git-ignored bench/.duckdb (npm install --prefix
// bench/.duckdb @duckdb/node-api), or where RFM_BENCH_DUCKDB_DIR says.
const duckdbDir = process.env.RFM_BENCH_DUCKDB_DIR ||
  join(dirname(fileURLToPath(import.meta.url)), '.duckdb');
const requireFrom = createRequire(join(duckdbDir, 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(requireFrom.resolve('@duckdb/node-api')).href);

function parseArgs(argv) {
  const o = { mode: argv[0], threads: 2, bins: 5, repeat: 1, ntile: true, verify: false, threads1: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--csv') o.csv = v();
    else if (a === '--increment-csv') o.incr = v();
    else if (a === '--out') o.out = v();
    else if (a === '--json') o.json = v();
    else if (a === '--threads') o.threads = Number(v());
    else if (a === '--bins') o.bins = Number(v());
    else if (a === '--repeat') o.repeat = Number(v());
    else if (a === '--no-ntile') o.ntile = false;
    else if (a === '--verify-cutoffs') o.verify = true;
    else if (a === '--threads1') o.threads1 = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['table', 'csv'].includes(o.mode) || !o.csv || !o.out) {
    throw new Error('usage: duckdb_peer.mjs table|csv --csv FILE --out PREFIX|FILE [options]');
  }
  if (!(o.bins >= 2 && o.bins <= 100)) throw new Error('--bins must be 2..100');
  return o;
}

const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;

// k/B as an exact decimal literal, or null when B has a prime factor other
// than 2 and 5 (the fraction then has no finite decimal form).
function exactFraction(k, B) {
  let b = B, digits = 0;
  while (b % 2 === 0) { b /= 2; digits++; }
  let twos = digits; digits = 0;
  while (b % 5 === 0) { b /= 5; digits++; }
  if (b !== 1) return null;
  const d = Math.max(twos, digits, 1);
  const scaled = (BigInt(k) * 10n ** BigInt(d)) / BigInt(B);
  const s = scaled.toString().padStart(d + 1, '0');
  return `${s.slice(0, -d)}.${s.slice(-d)}`;
}

function readCsv(path, keyType) {
  return `read_csv(${sqlString(path)}, header = true, delim = ',', quote = '"', escape = '"', ` +
    `columns = {'customer_id': '${keyType}', 'date': 'TIMESTAMP', 'amount': 'DECIMAL(18,2)'})`;
}

// Per-customer values v(customer, recency, frequency, monetary) over `src`
// (customer, ts, amount), as CTEs.
function valuesCtes(src) {
  return `agg AS (
    SELECT customer,
           count(*) FILTER (WHERE amount >= 0) AS frequency,
           sum(amount) AS monetary,
           max(ts) FILTER (WHERE amount >= 0) AS last_ts
    FROM ${src} GROUP BY customer),
  sc AS (SELECT customer, frequency, monetary, last_ts::DATE AS last_day FROM agg WHERE frequency > 0),
  as_of AS (SELECT max(last_day) + 1 AS d FROM sc),
  v AS (SELECT customer, as_of.d - sc.last_day AS recency, frequency, monetary FROM sc, as_of)`;
}

function segmentCase(B) {
  const m = (s) => (B === 5 ? s : `((5 * ${s} + ${B - 1}) // ${B})`);
  const r = m('r'), f = m('f');
  return `CASE
      WHEN ${r} = 5 AND ${f} BETWEEN 4 AND 5 THEN 'Champions'
      WHEN ${r} BETWEEN 3 AND 4 AND ${f} BETWEEN 4 AND 5 THEN 'Loyal Customers'
      WHEN ${r} BETWEEN 4 AND 5 AND ${f} BETWEEN 2 AND 3 THEN 'Potential Loyalists'
      WHEN ${r} = 5 AND ${f} = 1 THEN 'Recent Customers'
      WHEN ${r} = 4 AND ${f} = 1 THEN 'Promising'
      WHEN ${r} = 3 AND ${f} = 3 THEN 'Need Attention'
      WHEN ${r} = 3 AND ${f} BETWEEN 1 AND 2 THEN 'About to Sleep'
      WHEN ${r} BETWEEN 1 AND 2 AND ${f} BETWEEN 3 AND 4 THEN 'At Risk'
      WHEN ${r} BETWEEN 1 AND 2 AND ${f} = 5 THEN 'Can''t Lose'
      WHEN ${r} BETWEEN 1 AND 2 AND ${f} BETWEEN 1 AND 2 THEN 'Hibernating'
      ELSE 'Others' END`;
}

// Cutoff lists (1-based, B-1 values) per dimension, as CTE `cut`.
function cutoffCte(B, explicit = false) {
  const qs = [];
  for (let k = 1; k < B; k++) qs.push(exactFraction(k, B));
  if (!explicit && qs.every((q) => q !== null)) {
    const list = `[${qs.join(', ')}]`;
    return `cut AS (SELECT quantile_disc(recency, ${list}) AS cr,
                           quantile_disc(frequency, ${list}) AS cf,
                           quantile_disc(monetary, ${list}) AS cm FROM v)`;
  }
  // explicit order statistics x_(ceil(k*n/B)) for any B
  const pick = (col) => `(SELECT list(x ORDER BY k) FROM (
        SELECT ${col} AS x, row_number() OVER (ORDER BY ${col}) AS rn FROM v) o,
        range(1, ${B}) t(k), (SELECT count(*) AS n FROM v) c
        WHERE o.rn = (k * c.n + ${B - 1}) // ${B})`;
  return `cut AS (SELECT ${pick('recency')} AS cr, ${pick('frequency')} AS cf, ${pick('monetary')} AS cm)`;
}

// The per-customer result: customer_id, recency_days, frequency, monetary, r, f, m, segment.
function rfmQuery(src, B, method) {
  const terms = (col, cut) => {
    const t = [];
    for (let k = 1; k < B; k++) t.push(`(${col} > ${cut}[${k}])::INTEGER`);
    return t.join(' + ');
  };
  const scores = method === 'ntile'
    ? `s AS (SELECT customer, recency, frequency, monetary,
              ntile(${B}) OVER (ORDER BY recency DESC, customer) AS r,
              ntile(${B}) OVER (ORDER BY frequency, customer) AS f,
              ntile(${B}) OVER (ORDER BY monetary, customer) AS m FROM v)`
    : `${cutoffCte(B)},
  s AS (SELECT customer, recency, frequency, monetary,
              ${B} - (${terms('recency', 'cr')}) AS r,
              1 + ${terms('frequency', 'cf')} AS f,
              1 + ${terms('monetary', 'cm')} AS m FROM v, cut)`;
  return `WITH ${valuesCtes(src)},
  ${scores}
  SELECT customer AS customer_id, recency AS recency_days, frequency, monetary, r, f, m,
         ${segmentCase(B)} AS segment FROM s`;
}

// Cutoffs as integers in librfm's units (recency days, purchases, cents).
async function cutoffs(con, src, B, explicit) {
  const cte = cutoffCte(B, explicit);
  const r = await con.runAndReadAll(`WITH ${valuesCtes(src)}, ${cte}
    SELECT cr::BIGINT[] AS R, cf::BIGINT[] AS F, [x * 100 FOR x IN cm]::BIGINT[] AS M FROM cut`);
  const row = r.getRowObjectsJson()[0];
  const ints = (a) => a.map((x) => Number(x));
  return { R: ints(row.R), F: ints(row.F), M: ints(row.M) };
}

// Runs sql `warmup` times untimed (DuckDB's first runs in a process are
// slower: allocator and buffer warm-up), then `repeat` times timed.
async function timed(con, sql, repeat, warmup = 0) {
  const runs = [];
  for (let i = 0; i < warmup; i++) await con.run(sql);
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await con.run(sql);
    runs.push((performance.now() - t0) / 1000);
  }
  return { best: Math.min(...runs), runs };
}

const rssBytes = () => process.resourceUsage().maxRSS * 1024;

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(o.threads) });
  const con = await instance.connect();
  const version = (await con.runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0].v;
  const threads = Number((await con.runAndReadAll("SELECT current_setting('threads') AS t"))
    .getRowObjectsJson()[0].t);
  const res = { library: 'duckdb', version, threads, mode: o.mode, bins: o.bins, seconds: {}, runs: {}, rss_bytes: {} };
  const note = (name, t) => { res.seconds[name] = t.best; res.runs[name] = t.runs; res.rss_bytes[name] = rssBytes(); };
  const copyOut = (path) => `COPY (SELECT * FROM res ORDER BY customer_id) TO ${sqlString(path)} (HEADER, DELIMITER ',')`;

  if (o.mode === 'csv') {
    const src = `(SELECT customer_id AS customer, date AS ts, amount FROM ${readCsv(o.csv, 'VARCHAR')})`;
    const sql = `COPY (${rfmQuery(src, o.bins, 'quantile')} ORDER BY customer_id) TO ${sqlString(o.out)} (HEADER, DELIMITER ',')`;
    note('csv_end_to_end', await timed(con, sql, o.repeat, 1));
  } else {
    const load = `CREATE OR REPLACE TABLE tx AS SELECT customer_id AS customer, date AS ts, amount FROM ${readCsv(o.csv, 'UBIGINT')}`;
    note('load', await timed(con, load, 1));
    res.rows = Number((await con.runAndReadAll('SELECT count(*) AS n FROM tx')).getRowObjectsJson()[0].n);
    const q = (m) => `CREATE OR REPLACE TABLE res AS ${rfmQuery('tx', o.bins, m)}`;
    note('query', await timed(con, q('quantile'), o.repeat, 1));
    res.customers_scored = Number((await con.runAndReadAll('SELECT count(*) AS n FROM res')).getRowObjectsJson()[0].n);
    let t0 = performance.now();
    await con.run(copyOut(`${o.out}-quantile.csv`));
    res.seconds.export = (performance.now() - t0) / 1000;
    res.cutoffs = await cutoffs(con, 'tx', o.bins, false);
    if (o.verify) {
      const explicit = await cutoffs(con, 'tx', o.bins, true);
      res.cutoffs_verified = JSON.stringify(explicit) === JSON.stringify(res.cutoffs);
      if (!res.cutoffs_verified) {
        console.error(`duckdb_peer: quantile_disc ${JSON.stringify(res.cutoffs)} != order statistics ${JSON.stringify(explicit)}`);
      }
    }
    if (o.threads1) {
      await con.run('SET threads = 1');
      note('query_1thread', await timed(con, q('quantile'), o.repeat, 1));
      await con.run(`SET threads = ${o.threads}`);
    }
    if (o.ntile) {
      note('query_ntile', await timed(con, q('ntile'), o.repeat, 1));
      await con.run(copyOut(`${o.out}-ntile.csv`));
    }
    if (o.incr) {
      const ins = `INSERT INTO tx SELECT customer_id, date, amount FROM ${readCsv(o.incr, 'UBIGINT')}`;
      note('increment_insert', await timed(con, ins, 1));
      note('query_after_increment', await timed(con, q('quantile'), o.repeat, 1));
      await con.run(copyOut(`${o.out}-increment.csv`));
      res.cutoffs_after_increment = await cutoffs(con, 'tx', o.bins, false);
    }
  }
  res.peak_rss_bytes = rssBytes();
  const text = JSON.stringify(res, null, 2);
  if (o.json) writeFileSync(o.json, text + '\n');
  else console.log(text);
}

main().catch((e) => {
  console.error(`duckdb_peer: ${e.message}`);
  process.exit(1);
});
