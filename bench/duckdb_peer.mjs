// duckdb_peer.mjs — the peer the lake benchmarks compare against: DuckDB alone (the same 1.4.4 release,
// through @duckdb/node-api from tests/interop), timing only the SQL, not node's start-up.
// Usage: node duckdb_peer.mjs REPEAT SQL...   prints the best time of each statement in ms
import { createRequire } from 'node:module'
// resolved from the current directory (tests/interop, where the readers are installed)
const { DuckDBInstance } = createRequire(process.cwd() + '/')('@duckdb/node-api')
const [repeat, ...sqls] = process.argv.slice(2)
const db = await DuckDBInstance.create(':memory:')
const con = await db.connect()
for (const sql of sqls) {
  let best = Infinity
  for (let i = 0; i < Number(repeat); i++) {
    const t = performance.now()
    await con.run(sql)
    best = Math.min(best, performance.now() - t)
  }
  console.log(best.toFixed(1))
}
