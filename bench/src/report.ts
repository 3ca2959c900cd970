// The text of BENCHMARKS.md, around the tables of one full run.
import { BEFORE_COMMIT } from './observability.js'

/** What limits the queued figures (from profiles and Redis' command statistics). */
const QUEUED_BOUNDS = `What bounds the queued figures (\`node --cpu-prof\` and Redis' \`INFO commandstats\` while
deliveries are stored through \`receiver.handle()\`, 32 at a time):

- Storing a delivery is one BullMQ \`add\`: one round trip to Redis, which runs BullMQ's
  \`addStandardJob\` script (the job hash, the wait list, the id counter, two event-stream
  entries): about 50 µs of Redis CPU per job. The web process spends about 60 to 90 µs more per
  delivery than without a queue (BullMQ's job object and option packing, ioredis' command
  encoding, and the socket write to Redis, the largest single item), where the in-process handler
  call costs a few µs. On two cores shared by the server, Redis and autocannon, that CPU, not
  the wait for Redis, is what lowers the queued rows.
- Tried without effect: ioredis' auto-pipelining on the queue's connection, and BullMQ's
  \`addBulk\` for 32 jobs at once (the per-job script and encoding remain).
- What would change it: Redis on its own core or host, as in production (its share then leaves
  the web process's machine), more web processes, or a lighter store than one BullMQ job per
  delivery.
- Workers: each job is two Redis scripts (taken, then finished with the next one fetched) and the
  input's validation again in the worker. With a handler that does nothing, Redis and the two
  cores are the limit, so a second worker process on the same two cores adds nothing (it competes
  with the first and with Redis for them); workers on other machines would scale until Redis' one
  thread is busy. Handlers that wait on I/O gain from more workers and higher concurrency.
`

/** The heading that starts the observability section (its end is the next \`## \` heading). */
export const OBSERVABILITY_HEADING = '## Observability cost'

/**
 * The "Observability cost" section of BENCHMARKS.md around its tables, stamped with when and
 * where they were measured (\`pnpm bench --observability-only --write\` refreshes it alone).
 *
 * @example
 * observabilitySection(tables, '2026-12-02, 2 x AMD EPYC, 24 GiB, Node v20.20.2')
 */
export function observabilitySection(tables: string[], measured: string): string {
  return `${OBSERVABILITY_HEADING}

Core publishes \`node:diagnostics_channel\` tracing channels (\`isc-triggers:delivery\`,
\`isc-triggers:callback\`) around every delivery and callback attempt; with nobody listening, a
delivery pays one \`hasSubscribers\` check. Five variants are measured side by side: the core of
commit ${BEFORE_COMMIT}, the one before the channels (taken from git history with \`git archive\` and
built with the repository's tsdown by bench/src/baseline.ts, cached in bench/.baseline/); today's
core with nobody listening, twice, in two processes; today's core with each delivery run inside
an OpenTelemetry context (\`context.with\` of \`AsyncLocalStorageContextManager\`, as an app's HTTP
instrumentation runs each request: in Node 20, once an AsyncLocalStorage is entered, every promise
and async resource pays a hook, whoever entered it); and today's core with \`@isc-triggers/otel\` on
(which enters OpenTelemetry's context around each delivery itself). Dividing the otel row's ratio by
the context row's gives the share of its cost that an app traced with OpenTelemetry does not already
pay.
The OpenTelemetry setup is what an application runs, exporting to nowhere: a \`BasicTracerProvider\`
with a \`BatchSpanProcessor\` (default batch settings) around a span exporter that reports success
and drops the spans, a \`MeterProvider\` with a \`PeriodicExportingMetricReader\` (default 60 s
interval) around a metric exporter that does the same, and \`AsyncLocalStorageContextManager\` as the
global context manager; every delivery is sampled, so each one makes a span and a histogram entry
(the in-process run checks that spans and metric points reached the exporters).

How it is measured: each variant runs in a process of its own, started once and warmed up; a round
asks each variant in turn for one short window (the order alternating from round to round), so a
change in the machine's load falls on the variants of a round alike. The ratios compare deliveries
per CPU-second of the receiving process (\`process.cpuUsage()\`, all its threads): when a server is
CPU-bound, as these are, its CPU time per request is what bounds its throughput, and unlike a
wall-clock rate it does not count the time the process waited for a core shared with other work.
The wall-clock ratio is shown beside it.

Targets (issue 17): today's core with nobody listening at least 0.99x the throughput of
${BEFORE_COMMIT}; with \`@isc-triggers/otel\` on, at least 0.90x today's core with nobody listening.
How noise is judged: every ratio is taken within one round, and the table gives the median of the
rounds' ratios with the lowest and the highest. The "second process" row runs the same code as
"nobody listening", so its ratio shows how far two identical processes differ on this machine.
The verdict: "met in every round" when the lowest round's ratio reaches the target; "met by the
median" when the median does but some round does not (read the noise row beside it); "not shown"
when the median is below the target but some round reaches it (the difference is within the
rounds' spread, yet the run does not show the target held); "missed in every round" otherwise.
\`pnpm bench --observability-only\` runs these rows alone (prints; \`--write\` also replaces this
section of BENCHMARKS.md; \`--observability-rounds N\`).

Measured: ${measured}.

${tables.join('\n')}`
}

/** What one full run measured, as markdown lines or text. */
export interface ReportParts {
  machine: string
  settings: string
  versions: string
  tables: string[]
  queued: string[]
  validation: string[]
  /** The "Observability cost" section, from {@link observabilitySection}. */
  observability: string
  memory: string
}

/**
 * BENCHMARKS.md for one full run.
 *
 * @example
 * writeFileSync('BENCHMARKS.md', benchmarksMarkdown(parts))
 */
export function benchmarksMarkdown({
  machine,
  settings,
  versions,
  tables,
  queued,
  validation,
  observability,
  memory,
}: ReportParts): string {
  return `# Benchmarks

Produced by \`pnpm bench\` (bench/src/run.ts, about seven minutes); rerun it to refresh this file.
\`pnpm bench --quick\` runs every scenario briefly, with the first payload only (CI does, to catch a broken benchmark, not to measure).

## How to read it

Each server runs in its own process, from the built packages; autocannon drives it from the runner's
process over loopback (two cores: one each). Rows are the median of interleaved rounds. "bare" rows
are what a user writes by hand: read the body, \`JSON.parse\` it (\`express.json()\`, \`@koa/bodyparser\`,
Nest's parser, Fastify's) and compare the bearer token as a string, as SailPoint's sample subscriber does, and
answer \`{}\` (or the decision, for the SYNC trigger). The isc-triggers rows do more per request:
constant-time token comparison, content-type and size checks, \`_metadata\` split, validation of the
payload (the trigger's zod schema compiled once with zod's public \`z.compile()\`),
the typed handler call, and for the SYNC trigger validation of the decision. The "fetch"
rows are Fetch-API handlers behind a node:http server that converts each request to a Web \`Request\`
(as Fetch runtimes' Node adapters do): "fetch bare" calls \`request.json()\` and compares the token,
"fetch isc-triggers" is \`receiver.fetch()\`.
"octokit webhooks" is the peer: \`@octokit/webhooks\`' \`createNodeMiddleware\` verifying an HMAC-SHA256
over the same body. "vs baseline" is the ratio to the row named (throughput: higher is better; p99:
lower is better). Absolute numbers depend on the machine; compare the ratios. Latencies are each
response's own time as the runner saw it (to the microsecond; autocannon's own histogram keeps whole
milliseconds), taken over every response of a round; the table shows the median of rounds.
Two-second windows on two shared cores are noisy: throughput moves by about ±5% between runs, and a
p99 more (one GC pause or scheduling hiccup in a round shows there).

## Last run

- Machine: ${machine}
- Date: ${new Date().toISOString().slice(0, 10)}
- Versions: ${versions}
- Settings: ${settings}

${tables.join('\n')}
## Durable delivery on BullMQ

With \`queue: bullmqQueue(...)\` (@isc-triggers/bullmq) a fire-and-forget delivery is answered once
it is stored as a BullMQ job in Redis, and worker processes run its handler. "Acknowledgement"
compares the same receiver with and without the queue, on node:http and on Express, in the same
interleaved rounds as the tables above: the queued server stores every request as a job (no worker
runs meanwhile; the queue is emptied after each server). Redis is \`REDIS_URL\` or a redis-server
started for the run, on the same two cores, so it takes CPU from the server and from autocannon.
"Worker throughput": the deliveries are stored while the queue is paused, then 1 or 2 worker
processes (\`startTriggerWorker\`, a handler that does nothing) start and the queue is resumed; a run
lasts from the first job taken to the last one completed, by BullMQ's own timestamps of the jobs.

${queued.join('\n')}
${QUEUED_BOUNDS}
## In-process cost of one delivery

\`receiver.handle()\` (bearer check, content type, UTF-8 and JSON parse, \`_metadata\` split, validation,
handler call, reply) against \`JSON.parse\` alone and \`JSON.parse\` + the trigger schema's \`safeParse\` on
the same bytes, in one process; median of interleaved rounds. The last column is how much more one
\`handle()\` costs than parse + safeParse (lower is better; 1.00x would be free).

${validation.join('\n')}

${observability}
## Memory

${memory}

## What bounds the figures

Profiles (\`node --cpu-prof\` on a server process under autocannon) of the plain \`node:http\` rows:

- Small deliveries: most of the time is the kernel's (\`writev\` of the reply over loopback) and
  Node's HTTP machinery, which bare servers pay too. The receiver's own work is \`JSON.parse\` (as
  bare), the compiled zod parse, the prototype-key walk, the constant-time token comparison
  (\`timingSafeEqual\`, about 0.2 µs) and the reply. Removed after profiling: SHA-256 of each token
  (about 1 µs), a timer per body read (now one per receiver), promise hops between reading,
  dispatching and writing, an object literal with a getter per SYNC context (0.5 µs), and zod
  records for attribute maps (0.6 µs on \`idn:identity-created\`).
- 100 KiB deliveries: \`JSON.parse\` is about two thirds of the time (as bare). Validation is zod's
  compiled parse (\`z.compile()\`), which builds the output object as zod's parse does but without
  its per-key schema calls; \`pnpm bench --validation-only\` shows its in-process cost. The walk
  for \`__proto__\` keys takes about 25 µs; a text search cannot replace it, since words such as
  "constructor" are slow to search for in JSON.
- In process, \`handle()\` on \`idn:identity-created\` costs about 1.4 µs more than \`JSON.parse\` +
  \`safeParse\` of the same bytes: the token comparison, UTF-8 check, prototype walk, headers,
  \`_metadata\` split, the reply and its promise. The ratio is high because that body is small and
  its schema cheap to check; on the largest sample (\`idn:account-updated\`) it is about 1.0x.

To look again: \`pnpm bench --only "node:http"\` runs the matching rows and their baselines (prints,
writes nothing; several comma-separated, e.g. \`--only "node:http,express"\`; \`--only queued\` runs the
durable-delivery rows and the worker throughput); profile one server with \`node --cpu-prof\`.
`
}
