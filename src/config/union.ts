/**
 * A union of strict object schemas told apart by one key (`network`, then
 * `provider`), with the error messages an admin can act on:
 *
 * - an unknown tag names the known ones (and a caller-supplied note, e.g.
 *   "not in this version yet");
 * - a key that belongs to another variant says whose it is:
 *   `numbers: only for network sms`, `twilio: only for provider twilio`;
 * - a key only this variant has, left out, says what requires it:
 *   `twilio: required for provider twilio`;
 * - everything else is reported by the chosen variant, with its key path.
 *
 * zod 3's `discriminatedUnion` cannot nest unions or word these messages, so
 * the choice is made here and the variant does the rest. The variants stay
 * reachable (`variantsOf`) so the README table lists every variant's keys.
 */
import { z } from 'zod';

/** A variant: a strict object, or a nested tagged union. */
export type Variant = z.AnyZodObject | TaggedUnion;

/** What a tagged union is made of, for documentation and for sibling-key messages. */
export interface TaggedUnionDef {
  tag: string;
  variants: Record<string, Variant>;
}

export type TaggedUnion<T = unknown> = z.ZodType<T, z.ZodTypeDef, unknown>;

const DEFS = new WeakMap<z.ZodTypeAny, TaggedUnionDef>();

/** The tag and variants of a schema made by `taggedUnion`, else undefined. */
export function variantsOf(schema: z.ZodTypeAny): TaggedUnionDef | undefined {
  return DEFS.get(schema);
}

/** Every key any variant (nested variants included) may hold. */
export function variantKeys(v: Variant): Set<string> {
  const def = DEFS.get(v);
  if (def === undefined) return new Set(Object.keys((v as z.AnyZodObject).shape as object));
  const keys = new Set<string>([def.tag]);
  for (const inner of Object.values(def.variants)) for (const k of variantKeys(inner)) keys.add(k);
  return keys;
}

type Output<V> = V extends z.ZodType<infer O, z.ZodTypeDef, unknown> ? O : never;

export interface TaggedUnionOptions {
  /** Why a tag value is not accepted, when there is more to say than "unknown" (e.g. planned for a later version). */
  unknownTag?(value: string, known: string[]): string | undefined;
}

/**
 * @example
 * taggedUnion('provider', { sandbox: z.object({...}).strict(), twilio: z.object({..., twilio: section}).strict() })
 */
export function taggedUnion<V extends Record<string, Variant>>(
  tag: string,
  variants: V,
  opts: TaggedUnionOptions = {},
): TaggedUnion<Output<V[keyof V]>> {
  const known = Object.keys(variants);
  const tagEnum = z.enum(known as [string, ...string[]]);
  const keysOf = new Map(Object.entries(variants).map(([name, v]) => [name, variantKeys(v)]));

  const schema = z.unknown().transform((input, ctx) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.addIssue({ code: z.ZodIssueCode.invalid_type, expected: 'object', received: input === null ? 'null' : typeof input });
      return z.NEVER;
    }
    const value = input as Record<string, unknown>;
    const tagValue = value[tag];
    let name = typeof tagValue === 'string' && keysOf.has(tagValue) ? tagValue : undefined;
    if (name === undefined) {
      const note = typeof tagValue === 'string' ? opts.unknownTag?.(tagValue, known) : undefined;
      if (note !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [tag], message: note });
      else for (const issue of tagEnum.safeParse(tagValue).error?.issues ?? []) ctx.addIssue({ ...issue, path: [tag] });
    }
    // With an unknown tag, the other keys are still checked (against the first variant), so every problem shows at once.
    const chosen = name ?? (known[0] as string);
    const own = keysOf.get(chosen) as Set<string>;
    const variant = variants[chosen] as Variant;
    const result = variant.safeParse(name === undefined ? { ...value, [tag]: chosen } : value);
    if (result.success) {
      if (name === undefined) return input as never;
      return result.data as Output<V[keyof V]>;
    }
    for (const issue of result.error.issues) {
      if (name === undefined && issue.path[0] === tag) continue;
      if (issue.code === z.ZodIssueCode.unrecognized_keys && issue.path.length === 0) {
        const stray: string[] = [];
        for (const key of issue.keys) {
          const owners = known.filter((n) => n !== chosen && keysOf.get(n)?.has(key));
          if (owners.length > 0 && !own.has(key)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `only for ${tag} ${owners.join(' or ')}` });
          } else stray.push(key);
        }
        if (stray.length > 0) ctx.addIssue({ ...issue, keys: stray });
        continue;
      }
      const key = issue.path[0];
      const missing = issue.code === z.ZodIssueCode.invalid_type && issue.received === 'undefined' && issue.path.length === 1;
      if (missing && typeof key === 'string' && known.some((n) => n !== chosen && !keysOf.get(n)?.has(key))) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: `required for ${tag} ${chosen}` });
        continue;
      }
      ctx.addIssue(issue);
    }
    // The raw value travels on, so checks across components (duplicate domains) still run in the same pass.
    return input as never;
  });
  DEFS.set(schema, { tag, variants });
  return schema;
}
