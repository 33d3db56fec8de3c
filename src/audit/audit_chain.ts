/**
 * The audit trail's hash chain. Each record's hash covers its own columns and the previous record's
 * hash, and records carry consecutive sequence numbers, so editing, deleting, inserting or reordering a
 * record breaks the chain at that record. One global chain for all gateway instances (see README).
 *
 * What it cannot show on its own: someone with write access who recomputes every hash after the record
 * they changed. The head (last seq and hash) is therefore also written to the log as `audit_checkpoint`,
 * where an external log store keeps it out of reach of the database.
 */
import { hash } from 'node:crypto';

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** A record as stored: every column the hash covers. */
export interface AuditRecord {
  seq: number;
  at: string;
  instance: string;
  type: string;
  request_id: string | null;
  tpp: string | null;
  thumbprint: string | null;
  subject: string | null;
  /** JSON text exactly as stored. */
  detail: string;
  prev_hash: string;
  hash: string;
}

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  // An array of the column values: JSON.stringify fixes the order and escapes every separator.
  const canonical = JSON.stringify([
    record.seq,
    record.at,
    record.instance,
    record.type,
    record.request_id,
    record.tpp,
    record.thumbprint,
    record.subject,
    record.detail,
  ]);
  // SHA-256 over prev_hash, a newline and the canonical form, in one call: every admission is hashed, and
  // the one-shot hash costs a third of a Hash object's create, update and digest.
  return hash('sha256', `${record.prev_hash}\n${canonical}`, 'hex');
}

/** How far from its place a moved record is looked for (only when the chain is already broken). */
const MOVE_SEARCH = 1000;

/** The sequence number a record's hash was computed with, when that is not its current one. */
function originalPosition(record: AuditRecord): number | undefined {
  for (let distance = 1; distance <= MOVE_SEARCH; distance++) {
    for (const seq of [record.seq - distance, record.seq + distance]) {
      if (seq >= 1 && recordHash({ ...record, seq }) === record.hash) return seq;
    }
  }
  return undefined;
}

export interface ChainProblem {
  seq: number;
  kind: 'changed' | 'deleted' | 'inserted_or_reordered' | 'truncated';
  message: string;
}

export interface ChainVerdict {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  problem?: ChainProblem;
}

/**
 * Walks the records in sequence order and reports the first break. `head` is the stored chain head,
 * which names the last record the appenders wrote.
 */
export async function verifyChain(
  records: AsyncIterable<AuditRecord>,
  head: { seq: number; hash: string },
): Promise<ChainVerdict> {
  let previous = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let count = 0;
  const fail = (problem: ChainProblem): ChainVerdict => ({ ok: false, records: count, head, problem });
  for await (const record of records) {
    count++;
    const expected = previous.seq + 1;
    if (record.seq !== expected) {
      return fail({
        seq: expected,
        kind: 'deleted',
        message: `record ${expected} is missing: the sequence jumps from ${previous.seq} to ${record.seq} (deleted)`,
      });
    }
    if (recordHash(record) !== record.hash) {
      const writtenAs = originalPosition(record);
      return fail(
        writtenAs === undefined
          ? {
              seq: record.seq,
              kind: 'changed',
              message: `record ${record.seq} was changed: its content does not match its hash`,
            }
          : {
              seq: record.seq,
              kind: 'inserted_or_reordered',
              message: `record ${record.seq} is the record written as ${writtenAs}: records were inserted, deleted or reordered here`,
            },
      );
    }
    if (record.prev_hash !== previous.hash) {
      return fail({
        seq: record.seq,
        kind: 'inserted_or_reordered',
        message: `record ${record.seq} does not follow record ${previous.seq}: a record was inserted, replaced or reordered here`,
      });
    }
    previous = { seq: record.seq, hash: record.hash };
  }
  if (previous.seq < head.seq) {
    return fail({
      seq: previous.seq + 1,
      kind: 'truncated',
      message: `records ${previous.seq + 1} to ${head.seq} are missing from the end (deleted)`,
    });
  }
  if (previous.seq > head.seq || previous.hash !== head.hash) {
    const seq = previous.seq > head.seq ? head.seq + 1 : previous.seq;
    return fail({
      seq,
      kind: 'inserted_or_reordered',
      message: `record ${seq} is not the one the gateway wrote last (head: record ${head.seq}): records were appended or replaced outside the gateway`,
    });
  }
  return { ok: true, records: count, head };
}
