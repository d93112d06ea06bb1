import type { AuditLog, KeyRepository } from '../domain/ports.js';
import type { KeyManager } from '../keys/key-manager.js';
import type { AuditRow } from '../store/audit-pages.js';
import type { AuditEntryView, AuthenticatedClient, KeyView } from './api.js';

export interface AdminOperationsDeps {
  keys: KeyRepository;
  keyManager: KeyManager;
  audit: AuditLog;
  readAudit(after: number, limit: number): Promise<AuditRow[]>;
}

const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;

/** What only admins may do besides revoking: see keys, rotate, read the audit log. */
export class AdminOperations {
  constructor(private readonly deps: AdminOperationsDeps) {}

  async keys(): Promise<KeyView[]> {
    return (await this.deps.keys.list()).map((key) => ({
      kid: key.kid,
      algorithm: key.algorithm,
      status: key.status,
      createdAt: key.createdAt.toISOString(),
      activatedAt: iso(key.activatedAt),
      retiredAt: iso(key.retiredAt),
      revokedAt: iso(key.revokedAt),
      revocationReason: key.revocationReason ?? null,
      nextRotationAt: key.status === 'active' ? iso(key.nextRotationAt) : null,
      signatures: key.signatures ?? 0,
    }));
  }

  async rotate(
    actor: AuthenticatedClient,
  ): Promise<{ previousKid: string | null; activeKid: string }> {
    const current = await this.deps.keys.getActive();
    const next = await this.deps.keyManager.rotateKey(current?.kid, 'manual');
    await this.deps.audit.append({
      actor: `client:${actor.id}`,
      action: 'admin.rotate',
      subject: next.kid,
      details: { previous: current?.kid ?? null },
    });
    return { previousKid: current?.kid ?? null, activeKid: next.kid };
  }

  async audit(
    after: number,
    limit: number,
  ): Promise<{ entries: AuditEntryView[]; next: number | null }> {
    const rows = await this.deps.readAudit(after, limit);
    const entries = rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    const last = entries[entries.length - 1];
    return { entries, next: entries.length === limit && last ? last.seq : null };
  }
}
