// The order state machine: every legal transition lands where the specification says, every other
// (status, transition) pair is refused.
import { describe, expect, it } from 'vitest';
import {
  isOpen,
  isTerminal,
  nextStatus,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  type OrderStatus,
} from './order.ts';

// The specification, written independently of the table in order.ts: "status --transition--> target".
const LEGAL = `
INITIALIZED deny DENIED | INITIALIZED submit SUBMITTED
SUBMITTED accept ACCEPTED | SUBMITTED reject REJECTED | SUBMITTED cancel CANCELED | SUBMITTED expire EXPIRED
SUBMITTED trigger TRIGGERED | SUBMITTED partial_fill PARTIALLY_FILLED | SUBMITTED fill FILLED
SUBMITTED request_cancel PENDING_CANCEL
ACCEPTED trigger TRIGGERED | ACCEPTED request_modify PENDING_UPDATE | ACCEPTED request_cancel PENDING_CANCEL
ACCEPTED cancel CANCELED | ACCEPTED expire EXPIRED | ACCEPTED partial_fill PARTIALLY_FILLED | ACCEPTED fill FILLED
TRIGGERED request_modify PENDING_UPDATE | TRIGGERED request_cancel PENDING_CANCEL | TRIGGERED cancel CANCELED
TRIGGERED expire EXPIRED | TRIGGERED partial_fill PARTIALLY_FILLED | TRIGGERED fill FILLED
PENDING_UPDATE modified <previous> | PENDING_UPDATE modify_rejected <previous>
PENDING_UPDATE request_cancel PENDING_CANCEL | PENDING_UPDATE cancel CANCELED | PENDING_UPDATE expire EXPIRED
PENDING_UPDATE trigger PENDING_UPDATE | PENDING_UPDATE partial_fill PENDING_UPDATE | PENDING_UPDATE fill FILLED
PENDING_CANCEL cancel_rejected <previous> | PENDING_CANCEL cancel CANCELED | PENDING_CANCEL expire EXPIRED
PENDING_CANCEL partial_fill PENDING_CANCEL | PENDING_CANCEL fill FILLED
PARTIALLY_FILLED request_modify PENDING_UPDATE | PARTIALLY_FILLED request_cancel PENDING_CANCEL
PARTIALLY_FILLED cancel CANCELED | PARTIALLY_FILLED expire EXPIRED | PARTIALLY_FILLED partial_fill PARTIALLY_FILLED
PARTIALLY_FILLED fill FILLED
`;

const spec = new Map<string, string>();
for (const part of LEGAL.split(/[|\n]/)) {
  const words = part.trim().split(/\s+/);
  if (words.length !== 3) continue;
  const [from, transition, to] = words as [string, string, string];
  spec.set(`${from} ${transition}`, to);
}

describe('order state machine', () => {
  it('covers every status and transition', () => {
    expect(ORDER_STATUSES).toHaveLength(12);
    expect(ORDER_TRANSITIONS).toHaveLength(14);
    expect(spec.size).toBe(42);
  });

  for (const status of ORDER_STATUSES) {
    for (const transition of ORDER_TRANSITIONS) {
      const expected = spec.get(`${status} ${transition}`);
      if (expected === undefined) {
        it(`refuses ${status} --${transition}-->`, () => {
          expect(nextStatus(status, transition, 'ACCEPTED')).toBeUndefined();
        });
      } else if (expected === '<previous>') {
        it(`${status} --${transition}--> the status before the request`, () => {
          expect(nextStatus(status, transition, 'PARTIALLY_FILLED')).toBe('PARTIALLY_FILLED');
          expect(nextStatus(status, transition, 'TRIGGERED')).toBe('TRIGGERED');
        });
      } else {
        it(`${status} --${transition}--> ${expected}`, () => {
          expect(nextStatus(status, transition)).toBe(expected as OrderStatus);
        });
      }
    }
  }

  it('terminal states accept nothing, and open states are exactly the non-terminal ones after INITIALIZED', () => {
    for (const status of ORDER_STATUSES) {
      if (isTerminal(status)) {
        for (const t of ORDER_TRANSITIONS) expect(nextStatus(status, t)).toBeUndefined();
        expect(isOpen(status)).toBe(false);
      } else {
        expect(isOpen(status)).toBe(status !== 'INITIALIZED');
      }
    }
  });
});
