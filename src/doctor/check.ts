/** One line of `paperboy doctor`: what was checked, how it stands, and (when it is not ok) the fix. */
export interface Check {
  name: string;
  /** `warn`: works, but not as it should in production; or could not be checked. */
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

export const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string): Check => ({ name, status: 'warn', detail });
export const fail = (name: string, detail: string): Check => ({ name, status: 'fail', detail });
