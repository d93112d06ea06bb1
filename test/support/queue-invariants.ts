import BetterSqlite3 from 'better-sqlite3';

export interface QueueInvariants {
  integrity: string;
  /** Rows by status. */
  byStatus: Record<string, number>;
  /** Accepted ids without a row, or whose row is not completed. */
  lost: string[];
  /** Completed rows whose token's jti (or sub) is not theirs. */
  mismatched: string[];
  /** Tokens that appear on more than one row. */
  duplicateTokens: number;
  /** Completions the keys counted (each completion adds one to its key's `signatures`). */
  signaturesCounted: number;
  completed: number;
}

function claimsOf(token: string): { jti?: unknown; sub?: unknown } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    jti?: unknown;
  };
}

/**
 * What the database says about the queue after a fault, read straight from
 * the SQLite file (the server stopped): nothing accepted lost, each request
 * completed once with its own token, and the file intact.
 */
export function queueInvariants(dbPath: string, accepted: readonly string[]): QueueInvariants {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const byStatus: Record<string, number> = {};
    for (const row of db
      .prepare('select status, count(*) as n from requests group by status')
      .all() as {
      status: string;
      n: number;
    }[])
      byStatus[row.status] = row.n;
    const rows = db.prepare('select id, client_id, status, token from requests').all() as {
      id: string;
      client_id: string;
      status: string;
      token: string | null;
    }[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const lost = accepted.filter((id) => byId.get(id)?.status !== 'completed');
    const mismatched = rows
      .filter((row) => row.status === 'completed')
      .filter((row) => {
        const claims = row.token ? claimsOf(row.token) : {};
        return claims.jti !== row.id || claims.sub !== row.client_id;
      })
      .map((row) => row.id);
    const tokens = rows.flatMap((row) => (row.token ? [row.token] : []));
    const signatures = db.prepare('select coalesce(sum(signatures), 0) as n from keys').get() as {
      n: number;
    };
    return {
      integrity,
      byStatus,
      lost,
      mismatched,
      duplicateTokens: tokens.length - new Set(tokens).size,
      signaturesCounted: signatures.n,
      completed: byStatus.completed ?? 0,
    };
  } finally {
    db.close();
  }
}
