// The kill tests' web process: the receiver with a queue, on node:http at 127.0.0.1 (port 0).
// Prints `{"port":n}` on stdout once it listens and its queue is connected. Handlers never run
// here: with a queue, deliveries are stored as jobs for the workers.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from '@isc-triggers/core'
import { configFromEnv } from './kill-config.fixture.js'
import { buildKillReceiver, exitWithParent } from './kill-receiver.fixture.js'

exitWithParent()
const { receiver, queue } = buildKillReceiver(configFromEnv(process.env))
await queue.queue.waitUntilReady()
const server = createServer(toNodeHandler(receiver, { path: '/isc/triggers' }))
server.listen(0, '127.0.0.1')
await once(server, 'listening')
console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }))
