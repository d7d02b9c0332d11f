/**
 * The building blocks of the kha-drill file formats (schema.ts): durations, names, Leases,
 * URLs, hosts and ports.
 */
import { z } from 'zod';
import { MAX_DURATION_TEXT, isTooLong } from '../text/duration.js';

export const API_VERSION = 'kha-drill/v1';

/** `500ms`, `2s`, `1.5s`, `1m`. Parsed with `parseDuration` (text/duration.ts). */
export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m)$/, 'a duration such as 500ms, 2s or 1m')
  .refine((text) => !isTooLong(text), {
    error: (iss) => `duration '${String(iss.input)}' is too long (expected at most ${MAX_DURATION_TEXT})`,
    abort: true,
  })
  .describe(
    `A duration: a number followed by ms, s or m (e.g. 500ms, 2s, 1m), at most ${MAX_DURATION_TEXT}.`,
  );

export const Name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a lowercase name of letters, digits and dashes')
  .max(63);

/** `<namespace>/<name>` of a Lease. */
export const LeaseRef = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Lease as <namespace>/<name>')
  .describe('A Lease as <namespace>/<name>, e.g. kube-system/kube-scheduler.');

export const Url = z.string().regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'an http:// or https:// URL');
export const Path = z.string().min(1).describe('A file path; a leading ~ is the home directory.');
/** A host name or address: no spaces, no shell metacharacters. */
export const Host = z.string().regex(/^[A-Za-z0-9._:-]+$/, 'a host name or IP address');
export const Port = z.number().int().min(1).max(65535);
