// duckdb_sql.mjs — runs SQL statements with DuckDB (the same release floe embeds, through
// @duckdb/node-api installed in tests/interop) and prints the last statement's rows as JSON lines.
// Tests use it to write Parquet files "by DuckDB". Usage: node tests/e2e/duckdb_sql.mjs SQL...
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
const here = path.dirname(fileURLToPath(import.meta.url))
const { DuckDBInstance } = createRequire(path.join(here, '../interop/'))('@duckdb/node-api')
const db = await DuckDBInstance.create(':memory:')
const con = await db.connect()
let last
for (const sql of process.argv.slice(2)) last = await con.runAndReadAll(sql)
if (last) for (const row of last.getRowObjectsJson()) console.log(JSON.stringify(row))
