export { bullmqQueue } from './bullmq-queue.js'
export type { BullmqQueueOptions } from './queue-options.js'
export { startTriggerWorker, type TriggerWorker, type TriggerWorkerOptions } from './trigger-worker.js'
