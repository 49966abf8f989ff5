/** Field types shared by the config sections. */
import { z } from 'zod';

/** Accepts numbers written as strings, as `${VAR}` substitution produces. */
export function integer(min: number, max: number) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int().min(min).max(max),
  );
}

/** A decimal number, also written as a string. */
export function decimal(schema: z.ZodNumber) {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), schema);
}

export function boolean() {
  return z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
}

export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a DNS domain name');

export const bareJid = z.string().regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID (user@domain)');
