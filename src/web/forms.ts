/**
 * Where the web's input comes in: query strings, urlencoded and multipart form bodies, each read
 * once here (NUL dropped, see withoutNul), and what a request that cannot be read is answered.
 */
import { parse as parseQueryString } from 'node:querystring';
import type { FastifyError, FastifyRequest } from 'fastify';
import { withoutNul } from '../lib/input.ts';

export type Fields = Record<string, string | string[]>;

/** A query string or an urlencoded body: a name given twice becomes an array, as before. */
export function parseFields(text: string): Fields {
  return withoutNul(parseQueryString(text) as Fields);
}

/** An error that says the request body itself is broken: answered 400 with `detail`, never logged as ours. */
export class UnreadableForm extends Error {
  readonly statusCode = 400;
  constructor(readonly detail: string) {
    super(`the form could not be read: ${detail}`);
    this.name = 'UnreadableForm';
  }
}

/** The connection broke under the request: a client that gave up, not a fault of ours. */
export function clientLeft(err: FastifyError | NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET';
}

/**
 * multipart/form-data fields into `req.body`, shaped like an urlencoded body's (RFC 8058 one-click
 * POSTs come this way). A body busboy cannot read (no boundary, cut short, a bad part header)
 * becomes UnreadableForm; the plugin's own limits keep their status (413).
 */
export async function readMultipartFields(req: FastifyRequest): Promise<void> {
  if (!req.isMultipart()) return;
  const fields: Fields = Object.create(null);
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        // `files: 0` refuses files; one that gets here anyway is drained, never kept
        part.file.resume();
        continue;
      }
      const name = withoutNul(part.fieldname);
      const value = withoutNul(typeof part.value === 'string' ? part.value : String(part.value));
      const seen = fields[name];
      fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
  } catch (err) {
    const e = err as FastifyError;
    if (e.statusCode !== undefined || clientLeft(e)) throw err;
    throw new UnreadableForm(`its multipart/form-data body is broken: ${e.message}`);
  }
  req.body = fields;
}
