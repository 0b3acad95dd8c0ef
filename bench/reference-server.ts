import express from 'express';
import pg from 'pg';

/**
 * The machine's yardstick (issue 6: "Express 5 with one indexed pg lookup per request reaches
 * ~7,000 req/s here"): Express 5 answering GET /lookup?userName=... with one indexed query on the
 * benchmark's own database, nothing else. The benchmark runs it beside Rollcall at the same moment,
 * so a row of Rollcall can be read against what the shared machine gives at that time.
 *
 *   DATABASE_URL=... PORT=... node --import tsx bench/reference-server.ts
 */

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.get('/lookup', async (req, res) => {
  const userName = String(req.query.userName ?? '');
  const result = await pool.query('select id, user_name, name from users where lower(user_name) = lower($1)', [userName]);
  res.json({ totalResults: result.rows.length, Resources: result.rows });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('reference listening\n'));
process.once('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
