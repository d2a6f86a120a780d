/** The one error of fetching a feed: what happened, whether trying later can help, and the fix. */

export type FetchErrorKind = 'timeout' | 'too-large' | 'too-many-redirects' | 'blocked-address' | 'http-status' | 'network' | 'bad-url';

const RETRYABLE_BY_DEFAULT: Record<FetchErrorKind, boolean> = {
  timeout: true,
  'too-large': false,
  'too-many-redirects': false,
  'blocked-address': false,
  'http-status': false,
  network: true,
  'bad-url': false,
};

export interface FetchErrorOptions {
  retryable?: boolean;
  status?: number;
  url?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class FetchError extends Error {
  readonly kind: FetchErrorKind;
  /** Trying again later may succeed (time-outs, network errors, 429 and 5xx). */
  readonly retryable: boolean;
  /** The HTTP status, for `http-status`. */
  readonly status?: number;
  /** The URL being fetched when it failed (a redirect target, possibly). */
  readonly url?: string;
  /** From a Retry-After header (429 / 503), when the server sent one. */
  readonly retryAfterMs?: number;

  constructor(kind: FetchErrorKind, message: string, options: FetchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FetchError';
    this.kind = kind;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT[kind];
    if (options.status !== undefined) this.status = options.status;
    if (options.url !== undefined) this.url = options.url;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** The `code` of a Node.js system error, when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Rejects as soon as `signal` aborts, with its reason; the promise itself runs on. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
