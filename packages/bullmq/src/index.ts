export { type BullmqQueueOptions, bullmqQueue } from './bullmq-queue.js'
export { startTriggerWorker, type TriggerWorker, type TriggerWorkerOptions } from './trigger-worker.js'
