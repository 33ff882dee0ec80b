// Parameter validation shared by the built-in strategies: errors that name the strategy and the parameter.

import { z } from 'zod';
import { parseInstrumentId, type InstrumentId } from '../../model/index.ts';

/** Validates `params` against `schema`; the first problem throws an Error naming the parameter. */
export function parseParameters<S extends z.ZodType>(
  strategy: string,
  schema: S,
  params: unknown,
): z.infer<S> {
  const result = schema.safeParse(params ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new Error(`${strategy}: invalid parameters`);
  if (issue.code === 'unrecognized_keys')
    throw new Error(
      `${strategy}: unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
    );
  const name = issue.path.map(String).join('.');
  throw new Error(`${strategy}: invalid parameter "${name}": ${issue.message}`);
}

/** An Error naming a parameter, for checks that need the registry (made when the strategy starts). */
export function parameterError(strategy: string, parameter: string, problem: string): Error {
  return new Error(`${strategy}: invalid parameter "${parameter}": ${problem}`);
}

/** `SYMBOL.VENUE`. */
export const InstrumentIdSchema = z
  .string()
  .refine((s) => parseInstrumentId(s) !== undefined, 'an instrument id such as AAPL.SIM-A')
  .transform((s) => s as InstrumentId);

export const QuantitySchema = z.number().positive().finite();
