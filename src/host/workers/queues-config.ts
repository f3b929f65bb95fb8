// `[[queues.producers]]` and `[[queues.consumers]]`: read from a wrangler config (snake_case, seconds)
// and, for islet deploy, from the deploy request's JSON (camelCase), which the server checks again.
// Defaults and ceilings are Cloudflare's.
// @see https://developers.cloudflare.com/queues/configuration/configure-queues/
import {
  CONSUMER_DEFAULTS, MAX_CONSUMER_BATCH_SIZE, MAX_CONSUMER_BATCH_TIMEOUT_S, MAX_CONSUMER_RETRIES, MAX_DELAY_SECONDS, QUEUE_NAME,
} from '../bindings/queues/queue-limits.js';

/** env[binding] sends to `queue`; `deliveryDelay` (s) delays messages that name no delay of their own. */
export interface QueueProducerConfig { binding: string; queue: string; deliveryDelay?: number }

export interface QueueConsumerConfig {
  queue: string;
  maxBatchSize: number;
  maxBatchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue: string | null;
  retryDelaySeconds: number;
}

export interface QueuesConfig { producers: QueueProducerConfig[]; consumers: QueueConsumerConfig[] }

type Fail = (key: string, problem: string) => never;

const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function whole(value: unknown, at: string, min: number, max: number, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(at, `must be a whole number from ${min} to ${max}`);
  return value as number;
}

function queueName(value: unknown, at: string, fail: Fail): string {
  if (typeof value !== 'string' || !QUEUE_NAME.test(value)) fail(at, 'must be a queue name: 1 to 63 letters, digits, "-" or "_"');
  return value as string;
}

/**
 * One reader for both spellings: `keys` maps each setting to its name in the source, and `timeoutUnit`
 * turns the batch timeout into ms (wrangler gives seconds; the deploy request carries ms).
 */
function readSection(section: unknown, at: string, fail: Fail, claim: (binding: string, key: string) => void, snake: boolean): QueuesConfig {
  const producers: QueueProducerConfig[] = [];
  const consumers: QueueConsumerConfig[] = [];
  if (section === undefined) return { producers, consumers };
  if (!isTable(section)) fail(at, 'must be a table with "producers" and/or "consumers"');
  const table = section as Record<string, unknown>;
  const rawProducers = table['producers'] ?? [];
  if (!Array.isArray(rawProducers)) fail(`${at}.producers`, 'must be an array of tables with "binding" and "queue"');
  (rawProducers as unknown[]).forEach((item, index) => {
    const here = `${at}.producers[${index}]`;
    if (!isTable(item)) fail(here, 'must be a table with "binding" and "queue"');
    const entry = item as Record<string, unknown>;
    const binding = entry['binding'];
    if (typeof binding !== 'string' || binding === '') fail(`${here}.binding`, 'must be a string');
    const queue = queueName(entry['queue'], `${here}.queue`, fail);
    const delayKey = snake ? 'delivery_delay' : 'deliveryDelay';
    const delay = entry[delayKey] === undefined ? undefined : whole(entry[delayKey], `${here}.${delayKey}`, 0, MAX_DELAY_SECONDS, fail);
    claim(binding as string, `${here}.binding`);
    producers.push({ binding: binding as string, queue, ...(delay !== undefined ? { deliveryDelay: delay } : {}) });
  });
  const rawConsumers = table['consumers'] ?? [];
  if (!Array.isArray(rawConsumers)) fail(`${at}.consumers`, 'must be an array of tables with "queue"');
  const seen = new Set<string>();
  (rawConsumers as unknown[]).forEach((item, index) => {
    const here = `${at}.consumers[${index}]`;
    if (!isTable(item)) fail(here, 'must be a table with "queue"');
    const entry = item as Record<string, unknown>;
    const key = (snakeName: string, camelName: string) => (snake ? snakeName : camelName);
    const queue = queueName(entry['queue'], `${here}.queue`, fail);
    if (seen.has(queue)) fail(`${here}.queue`, `"${queue}" already has a consumer; a queue has one`);
    seen.add(queue);
    const get = (snakeName: string, camelName: string) => entry[key(snakeName, camelName)];
    const at2 = (snakeName: string, camelName: string) => `${here}.${key(snakeName, camelName)}`;
    const size = get('max_batch_size', 'maxBatchSize');
    const timeout = get('max_batch_timeout', 'maxBatchTimeoutMs');
    const retries = get('max_retries', 'maxRetries');
    const dlq = get('dead_letter_queue', 'deadLetterQueue');
    const retryDelay = get('retry_delay', 'retryDelaySeconds');
    const maxBatchTimeoutMs = timeout === undefined ? CONSUMER_DEFAULTS.maxBatchTimeoutMs
      : snake ? whole(timeout, at2('max_batch_timeout', ''), 0, MAX_CONSUMER_BATCH_TIMEOUT_S, fail) * 1000
      : whole(timeout, at2('', 'maxBatchTimeoutMs'), 0, MAX_CONSUMER_BATCH_TIMEOUT_S * 1000, fail);
    const deadLetterQueue = dlq === undefined || dlq === null ? null : queueName(dlq, at2('dead_letter_queue', 'deadLetterQueue'), fail);
    if (deadLetterQueue === queue) fail(at2('dead_letter_queue', 'deadLetterQueue'), 'must be another queue than the one consumed');
    if (snake && entry['max_concurrency'] !== undefined) whole(entry['max_concurrency'], `${here}.max_concurrency`, 1, 250, fail);
    consumers.push({
      queue,
      maxBatchSize: size === undefined ? CONSUMER_DEFAULTS.maxBatchSize : whole(size, at2('max_batch_size', 'maxBatchSize'), 1, MAX_CONSUMER_BATCH_SIZE, fail),
      maxBatchTimeoutMs,
      maxRetries: retries === undefined ? CONSUMER_DEFAULTS.maxRetries : whole(retries, at2('max_retries', 'maxRetries'), 0, MAX_CONSUMER_RETRIES, fail),
      deadLetterQueue,
      retryDelaySeconds: retryDelay === undefined ? CONSUMER_DEFAULTS.retryDelaySeconds : whole(retryDelay, at2('retry_delay', 'retryDelaySeconds'), 0, MAX_DELAY_SECONDS, fail),
    });
  });
  return { producers, consumers };
}

/** The `queues` table of a wrangler config; `max_concurrency` is checked and otherwise ignored (one batch at a time). */
export function readQueues(raw: Record<string, unknown>, fail: Fail, claim: (binding: string, key: string) => void): QueuesConfig {
  return readSection(raw['queues'], 'queues', fail, claim, true);
}

/** `config.queues` of a deploy request, as `islet deploy` sends it. */
export function parseQueuesConfig(value: unknown, fail: Fail, claim: (binding: string, key: string) => void): QueuesConfig {
  return readSection(value, 'config.queues', fail, claim, false);
}

export function hasQueues(config: QueuesConfig): boolean {
  return config.producers.length > 0 || config.consumers.length > 0;
}
