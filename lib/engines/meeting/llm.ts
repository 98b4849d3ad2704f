import * as v from 'valibot';
import type { Logger } from '../../logger.ts';
import type { Understander } from './assistant.ts';
import { instantOf } from './time-zones.ts';
import { INTENTS, understand as understandLocally, type Understanding, type UnderstandContext } from './understand.ts';

export interface LlmOptions {
  /** An OpenAI-compatible API root, e.g. http://localhost:11434/v1 (Ollama). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** An answer slower than this is abandoned for the deterministic understanding. */
  timeoutMs: number;
  log: Logger;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;
const MAX_ANSWER_BYTES = 64 * 1024;

/** The JSON schema the model is asked to fill: the same fields the deterministic understanding finds. */
const EXTRACTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['intent', 'start', 'end', 'duration_minutes', 'participants', 'location', 'title'],
  properties: {
    intent: { type: 'string', enum: [...INTENTS] },
    start: {
      type: ['string', 'null'],
      description: 'Start as local wall time YYYY-MM-DDTHH:MM in the user time zone, or null',
    },
    end: { type: ['string', 'null'], description: 'End as local wall time YYYY-MM-DDTHH:MM, or null' },
    duration_minutes: { type: ['integer', 'null'] },
    participants: { type: 'array', items: { type: 'string' } },
    location: { type: ['string', 'null'] },
    title: { type: ['string', 'null'] },
  },
} as const;

const localTime = v.nullish(v.pipe(v.string(), v.regex(LOCAL_TIME)));

/** What a model's answer must look like before anything of it is used. */
const AnswerSchema = v.object({
  intent: v.picklist(INTENTS),
  start: localTime,
  end: localTime,
  duration_minutes: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(24 * 60))),
  participants: v.nullish(v.array(v.pipe(v.string(), v.maxLength(200))), []),
  location: v.nullish(v.pipe(v.string(), v.maxLength(200))),
  title: v.nullish(v.pipe(v.string(), v.maxLength(200))),
});

function toInstant(text: string, timeZone: string): Date {
  const [, year, month, day, hour, minute] = LOCAL_TIME.exec(text)!.map(Number) as number[];
  return instantOf({ year: year!, month: month!, day: day!, hour: hour!, minute: minute! }, timeZone);
}

function prompt(ctx: UnderstandContext): string {
  const local = new Intl.DateTimeFormat('en-US', {
    timeZone: ctx.timeZone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(ctx.now);
  return [
    'You extract meeting-scheduling requests for a calendar assistant. Answer only with JSON matching the schema.',
    `Now is ${local} in the user's time zone ${ctx.timeZone}. Give times as local wall time YYYY-MM-DDTHH:MM in that zone.`,
    `intent is one of: ${INTENTS.join(', ')}. Use null for anything the message does not say.`,
  ].join('\n');
}

/**
 * Understanding by an OpenAI-compatible chat model (structured output), validated with valibot. Any
 * failure (network, status, timeout, malformed or invalid answer) falls back to the deterministic
 * understanding, which also supplies what the model is not asked for (ranges, "it").
 */
export function createLlmUnderstanding(options: LlmOptions): Understander {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  return async (text, ctx, signal) => {
    const local = understandLocally(text, ctx);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        body: JSON.stringify({
          model: options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: prompt(ctx) },
            { role: 'user', content: text },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'meeting_request', strict: true, schema: EXTRACTION_SCHEMA },
          },
        }),
      });
      const body = await res.text();
      if (!res.ok) throw new Error(`status ${res.status}`);
      if (body.length > MAX_ANSWER_BYTES) throw new Error('answer too large');
      const content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]
        ?.message?.content;
      if (typeof content !== 'string') throw new Error('no message content');
      const answer = v.parse(AnswerSchema, JSON.parse(content));
      const understood: Understanding = {
        ...local,
        intent: answer.intent,
        participants: answer.participants?.length ? answer.participants : local.participants,
      };
      if (answer.start) {
        understood.start = toInstant(answer.start, ctx.timeZone);
        understood.hasTime = true;
        understood.hasDate = true;
      }
      if (answer.end) understood.end = toInstant(answer.end, ctx.timeZone);
      if (answer.duration_minutes) understood.durationMinutes = answer.duration_minutes;
      if (answer.location) understood.location = answer.location;
      if (answer.title) understood.title = answer.title;
      return understood;
    } catch (err) {
      if (signal.aborted) throw err;
      // fetch() reports a refused or reset connection as "fetch failed", with the reason in `cause`.
      const cause = (err as { cause?: unknown }).cause;
      options.log.warn('llm understanding failed; using the deterministic one', {
        clientId: ctx.clientId,
        reason: (err as Error).message,
        ...(cause instanceof Error ? { cause: cause.message } : {}),
      });
      return local;
    }
  };
}
