import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineQueue } from './deadlines.js';

test('DeadlineQueue behaves like a map scanned for its minimum (model-based)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 20 }), fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined })),
          fc.tuple(fc.constant('pop' as const), fc.integer({ min: 0, max: 1000 }), fc.constant(undefined)),
        ),
        { maxLength: 200 },
      ),
      (ops) => {
        const q = new DeadlineQueue<number>();
        const model = new Map<number, number>();
        for (const [op, a, b] of ops) {
          if (op === 'set') {
            q.set(a, b);
            if (b === undefined) model.delete(a);
            else model.set(a, b);
          } else {
            const due = q.popDue(a);
            const want = [...model].filter(([, t]) => t <= a).sort((x, y) => x[1] - y[1]);
            assert.deepEqual(due.map((k) => model.get(k)), want.map(([, t]) => t));
            assert.deepEqual(new Set(due), new Set(want.map(([k]) => k)));
            for (const k of due) model.delete(k);
          }
          const min = [...model.values()].reduce<number | undefined>((m, t) => (m === undefined || t < m ? t : m), undefined);
          assert.equal(q.peek(), min);
          assert.equal(q.size, model.size);
        }
      },
    ),
    { numRuns: 300 },
  );
});
