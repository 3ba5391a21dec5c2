// check_parquet.mjs — reads the data files of a floe table with readers floe did not write (DuckDB's
// read_parquet/parquet_schema/parquet_metadata, hyparquet) and icebird (the whole table through its
// Iceberg metadata), and compares every value with what `floe query` returned.
// Usage: node check_parquet.mjs METADATA_JSON_PATH EXPECTED_JSON (rows of `floe query` with every
// column cast to VARCHAR, ordered by id)
import { readFileSync, statSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetReadObjects, parquetMetadata } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { icebergRead } from 'icebird'

const [metaPath, expectedPath] = process.argv.slice(2)
const meta = JSON.parse(readFileSync(metaPath, 'utf8'))
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'))
const schema = meta.schemas.find(s => s['schema-id'] === meta['current-schema-id'])
const files = JSON.parse(readFileSync(process.env.FILES_JSON, 'utf8')).map(f => f.file_path)
let failures = 0
const fail = msg => { console.error('FAIL:', msg); failures++ }

// Normalizes a JS value from a Parquet reader to DuckDB's VARCHAR rendering of it.
function same(exp, act, type) {
  if (act === null || act === undefined) return exp === null
  if (exp === null) return false
  if (act instanceof Date) {
    const iso = act.toISOString()
    return type === 'date' ? iso.slice(0, 10) === exp : iso.replace('T', ' ').slice(0, 19) === exp.slice(0, 19)
  }
  if (type === 'double' || type === 'float') return Number(exp) === Number(act) || (Number.isNaN(Number(exp)) && Number.isNaN(Number(act)))
  if (type === 'date' && typeof act === 'number') return new Date(act * 86400000).toISOString().slice(0, 10) === exp
  if (type === 'timestamp' && typeof act === 'bigint')
    return new Date(Number(act / 1000n)).toISOString().replace('T', ' ').slice(0, 19) === exp.slice(0, 19)
  return String(act) === exp
}
function compareRows(label, rows) {
  rows.sort((a, b) => Number(a.id) - Number(b.id))
  if (rows.length !== expected.length) return fail(`${label}: ${rows.length} rows, floe query saw ${expected.length}`)
  let bad = 0
  for (let i = 0; i < rows.length; i++)
    for (const f of schema.fields)
      if (!same(expected[i][f.name], rows[i][f.name], f.type) && bad++ < 5)
        fail(`${label}: row ${i} column ${f.name}: floe ${JSON.stringify(expected[i][f.name])}, reader ${String(rows[i][f.name])}`)
  if (!bad) console.log(`ok ${label}: ${rows.length} rows x ${schema.fields.length} columns equal`)
}

// 1. DuckDB: values, field ids, compression
const db = await DuckDBInstance.create(':memory:')
const con = await db.connect()
const list = '[' + files.map(f => `'${f}'`).join(',') + ']'
const cols = schema.fields.map(f => `"${f.name}"::VARCHAR AS "${f.name}"`).join(', ')
const dres = await con.runAndReadAll(`SELECT ${cols} FROM read_parquet(${list}, union_by_name=true) AS t ORDER BY t.id`)
const drows = dres.getRowObjectsJson()
if (JSON.stringify(drows) !== JSON.stringify(expected)) fail('duckdb read_parquet differs from floe query')
else console.log(`ok duckdb read_parquet: ${drows.length} rows equal`)
for (const f of files) {
  const ps = (await con.runAndReadAll(`SELECT name, field_id FROM parquet_schema('${f}') WHERE name <> 'duckdb_schema'`)).getRowObjectsJson()
  for (const { name, field_id } of ps) {
    const want = schema.fields.find(x => x.name === name)
    if (!want) fail(`${f}: column ${name} not in the table schema`)
    else if (String(want.id) !== String(field_id)) fail(`${f}: column ${name} has field_id ${field_id}, schema says ${want.id}`)
  }
  const codecs = (await con.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${f}')`)).getRowObjectsJson()
  if (codecs.length !== 1 || codecs[0].compression !== 'ZSTD') fail(`${f}: compression ${JSON.stringify(codecs)}`)
}
console.log(`ok duckdb parquet_schema: field ids of ${files.length} files match the Iceberg schema; all ZSTD`)

// 2. hyparquet, file by file
const hrows = []
for (const f of files) {
  const buf = readFileSync(f)
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
  const md = parquetMetadata(ab)
  for (const el of md.schema.slice(1)) {
    const want = schema.fields.find(x => x.name === el.name)
    if (!want || want.id !== el.field_id) fail(`hyparquet: ${f}: ${el.name} field_id ${el.field_id}`)
  }
  hrows.push(...await parquetReadObjects({ file: ab, compressors }))
}
compareRows('hyparquet', hrows)

// 3. icebird: the whole table through metadata.json -> manifest list -> manifests -> data files.
// It fetches URLs: serve local paths (with Range requests) through a small fetch shim.
const realFetch = globalThis.fetch
globalThis.fetch = async (url, init = {}) => {
  const u = String(url)
  if (!u.startsWith('/') && !u.startsWith('file:')) return realFetch(url, init)
  const path = decodeURIComponent(u.replace(/^file:\/\//, '').replace(/^file:/, ''))
  let body
  try { body = readFileSync(path) } catch { return new Response(null, { status: 404 }) }
  const headers = { 'content-length': String(statSync(path).size) }
  if (init.method === 'HEAD') return new Response(null, { status: 200, headers })
  const range = init.headers && (init.headers.Range || init.headers.range || (init.headers.get && init.headers.get('Range')))
  if (range) {
    const m = /bytes=(\d+)-(\d*)/.exec(range)
    const start = Number(m[1]), end = m[2] ? Number(m[2]) + 1 : body.length
    return new Response(body.subarray(start, end), { status: 206, headers: { 'content-length': String(end - start) } })
  }
  return new Response(body, { status: 200, headers })
}
const location = meta.location
const metadataFileName = metaPath.split('/').pop()
const irows = await icebergRead({ tableUrl: location, metadataFileName })
compareRows('icebird', irows)
if (failures) { console.error(`${failures} failure(s)`); process.exit(1) }
