// Numeric options, read as text: yargs' `type: 'number'` turns `--jobs abc` into NaN, and the
// message said "got NaN". The user's own word goes into the message instead.
import { UsageError } from '../errors.js';

/** A whole number ≥ `min` given as option `--name`; a usage error that quotes what was given otherwise. */
export const wholeNumber = (name: string, raw: string | number, min = 1): number => {
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''} (e.g. --${name} 4), got ${JSON.stringify(String(raw))}`);
  }
  return n;
};
