import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { requireExternal } from './requirements.js';
import { freePort } from './signet-process.js';
import { tempDir } from './temp.js';

const exec = promisify(execFile);

/** cfssl from the Debian package golang-cfssl: skipped locally when missing, a failure in CI. */
export function cfsslAvailable(): Promise<boolean> {
  return requireExternal('cfssl (Debian package golang-cfssl)', () => exec('cfssl', ['version']));
}

/** cfssl's certdb schema (certdb/sqlite/migrations/001_CreateCertificates.sql). */
const CERTDB_SCHEMA = `
CREATE TABLE certificates (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob,
  status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL,
  PRIMARY KEY (serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, body blob NOT NULL,
  expiry timestamp, PRIMARY KEY (serial_number, authority_key_identifier),
  FOREIGN KEY (serial_number, authority_key_identifier)
    REFERENCES certificates (serial_number, authority_key_identifier));`;

export interface CfsslCaOptions {
  /** A CRL distribution point to write into the certificates it issues. */
  crlUrl?: string;
  /** Sign OCSP answers with a key the CA never delegated (an unauthorized responder). */
  rogueResponder?: boolean;
}

const running = new Set<ChildProcess>();

/** Kills every cfssl process still running (for afterAll). */
export async function stopAllCfssl(): Promise<void> {
  await Promise.all([...running].map((child) => kill(child)));
}

/**
 * A real cfssl CA for tests: `cfssl serve` (signing, revoke, info) with its
 * own root, profile and sqlite certdb, and `cfssl ocspserve` on another port.
 * This cfssl's responder serves a file of pre-signed answers read at start,
 * so `refreshOcsp()` re-signs them (ocsprefresh), dumps them (ocspdump) and
 * restarts the responder; `watch()` does so whenever the certdb changes.
 */
export class CfsslCa {
  readonly url: string;
  readonly ocspUrl: string;
  readonly rootPath: string;
  readonly rootPem: string;
  #serve: ChildProcess | undefined;
  #responder: ChildProcess | undefined;
  #refreshing: Promise<void> = Promise.resolve();
  #stopped = false;
  #watch: NodeJS.Timeout | undefined;
  #seen = '';

  private constructor(
    readonly id: string,
    readonly dir: { path: string; remove(): void },
    readonly ports: { api: number; ocsp: number },
    private readonly responder: { cert: string; key: string },
  ) {
    this.url = `http://127.0.0.1:${ports.api}`;
    this.ocspUrl = `http://127.0.0.1:${ports.ocsp}`;
    this.rootPath = join(dir.path, 'ca.pem');
    this.rootPem = readFileSync(this.rootPath, 'utf8');
  }

  /** Generates the CA (root key in a temp dir), its profile and certdb, and starts it. */
  static async start(id: string, options: CfsslCaOptions = {}): Promise<CfsslCa> {
    const dir = tempDir(`signet-cfssl-${id}-`);
    const ports = { api: await freePort(), ocsp: await freePort() };
    await initCa(dir.path, 'ca', `Signet test CA ${id}`);
    let responder = { cert: 'ca.pem', key: 'ca-key.pem' };
    if (options.rogueResponder) {
      await initCa(dir.path, 'rogue', `Rogue responder for ${id}`);
      responder = { cert: 'rogue.pem', key: 'rogue-key.pem' };
    }
    const profile = {
      expiry: '168h',
      usages: ['digital signature'],
      ocsp_url: `http://127.0.0.1:${ports.ocsp}`,
      ...(options.crlUrl ? { crl_url: options.crlUrl } : {}),
    };
    writeFileSync(join(dir.path, 'config.json'), JSON.stringify({ signing: { default: profile } }));
    const dbPath = join(dir.path, 'certdb.sqlite');
    writeFileSync(
      join(dir.path, 'db.json'),
      JSON.stringify({ driver: 'sqlite3', data_source: dbPath }),
    );
    const db = new BetterSqlite3(dbPath);
    db.exec(CERTDB_SCHEMA);
    db.close();
    const ca = new CfsslCa(id, dir, ports, responder);
    await ca.startAll();
    return ca;
  }

  /** Starts the signing API and the OCSP responder (again, after `stop`). */
  async startAll(): Promise<void> {
    this.#stopped = false;
    await this.startApi();
    await this.refreshOcsp();
  }

  async startApi(): Promise<void> {
    if (this.#serve) return;
    // prettier-ignore
    this.#serve = this.#spawn(['serve', '-address', '127.0.0.1', '-port', String(this.ports.api),
      '-ca', 'ca.pem', '-ca-key', 'ca-key.pem', '-config', 'config.json', '-db-config', 'db.json']);
    await waitFor(`${this.url}/api/v1/cfssl/info`, 'POST');
  }

  /** Kills the whole CA, as a crash would. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.unwatch();
    await this.#refreshing.catch(() => undefined);
    await Promise.all([this.stopApi(), this.stopResponder()]);
  }

  async stopApi(): Promise<void> {
    const child = this.#serve;
    this.#serve = undefined;
    if (child) await kill(child);
  }

  async stopResponder(): Promise<void> {
    const child = this.#responder;
    this.#responder = undefined;
    if (child) await kill(child);
  }

  /** Re-signs the OCSP answers from the certdb and restarts the responder on them. */
  refreshOcsp(): Promise<void> {
    const previous = this.#refreshing.catch(() => undefined);
    this.#refreshing = previous.then(async () => {
      if (this.#stopped) return;
      this.#seen = this.#fingerprint();
      const { cert, key } = this.responder;
      // prettier-ignore
      await this.#cfssl(['ocsprefresh', '-db-config', 'db.json', '-ca', 'ca.pem',
        '-responder', cert, '-responder-key', key, '-interval', '2h']);
      const dump = await this.#cfssl(['ocspdump', '-db-config', 'db.json']);
      writeFileSync(join(this.dir.path, 'responses'), dump);
      await this.stopResponder();
      // prettier-ignore
      this.#responder = this.#spawn(['ocspserve', '-address', '127.0.0.1',
        '-port', String(this.ports.ocsp), '-responses', 'responses']);
      await waitFor(`${this.ocspUrl}/`, 'GET');
    });
    return this.#refreshing;
  }

  /** Refreshes the OCSP answers whenever a certificate is issued or revoked (as a CA operator's job would). */
  watch(intervalMs = 150): void {
    this.unwatch();
    this.#seen = this.#fingerprint();
    this.#watch = setInterval(() => {
      const now = this.#fingerprint();
      if (now === this.#seen) return;
      this.#seen = now;
      void this.refreshOcsp().catch(() => undefined);
    }, intervalMs);
    this.#watch.unref();
  }

  unwatch(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
  }

  /** The certdb's view of a certificate (serial in hex, as Signet stores it). */
  statusOf(serialHex: string): { status: string; reason: number } | undefined {
    const db = new BetterSqlite3(join(this.dir.path, 'certdb.sqlite'), { readonly: true });
    try {
      const row = db
        .prepare('SELECT status, reason FROM certificates WHERE serial_number = ?')
        .get(BigInt(`0x${serialHex}`).toString(10)) as
        { status: Buffer | string; reason: number } | undefined;
      return row ? { status: String(row.status), reason: row.reason } : undefined;
    } finally {
      db.close();
    }
  }

  /** Revokes a certificate through the CA's own API, as its operator would. */
  async revoke(serialHex: string, reason: string): Promise<void> {
    const serial = BigInt(`0x${serialHex}`).toString(10);
    const db = new BetterSqlite3(join(this.dir.path, 'certdb.sqlite'), { readonly: true });
    const row = db
      .prepare('SELECT authority_key_identifier AS aki FROM certificates WHERE serial_number = ?')
      .get(serial) as { aki: unknown } | undefined;
    db.close();
    const response = await fetch(`${this.url}/api/v1/cfssl/revoke`, {
      method: 'POST',
      body: JSON.stringify({ serial, authority_key_id: String(row?.aki ?? ''), reason }),
    });
    const body = (await response.json()) as { success?: boolean };
    if (!body.success) throw new Error(`cfssl refused the revocation: ${JSON.stringify(body)}`);
  }

  /** A CRL of every revoked serial, signed by the CA with `cfssl gencrl` (DER). */
  async crl(lifetimeSeconds = 3600): Promise<Uint8Array> {
    const db = new BetterSqlite3(join(this.dir.path, 'certdb.sqlite'), { readonly: true });
    const serials = db
      .prepare("SELECT serial_number FROM certificates WHERE status = 'revoked'")
      .all()
      .map((row) => String((row as { serial_number: unknown }).serial_number));
    db.close();
    writeFileSync(join(this.dir.path, 'revoked.txt'), serials.map((s) => `${s}\n`).join(''));
    const out = await this.#cfssl(['gencrl', 'revoked.txt', 'ca.pem', 'ca-key.pem', '-'], {
      input: String(lifetimeSeconds),
    });
    return new Uint8Array(Buffer.from(out.trim(), 'base64'));
  }

  async close(): Promise<void> {
    await this.stop();
    this.dir.remove();
  }

  #fingerprint(): string {
    const db = new BetterSqlite3(join(this.dir.path, 'certdb.sqlite'), { readonly: true });
    try {
      const row = db
        .prepare("SELECT count(*) AS n, sum(status = 'revoked') AS r FROM certificates")
        .get() as { n: number; r: number | null };
      return `${row.n}/${row.r ?? 0}`;
    } finally {
      db.close();
    }
  }

  #spawn(args: string[]): ChildProcess {
    const child = spawn('cfssl', args, { cwd: this.dir.path, stdio: 'ignore' });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  }

  async #cfssl(args: string[], options: { input?: string } = {}): Promise<string> {
    return runCfssl(this.dir.path, args, options.input);
  }
}

async function initCa(dir: string, name: string, cn: string): Promise<void> {
  const csr = JSON.stringify({ CN: cn, key: { algo: 'ecdsa', size: 256 } });
  writeFileSync(join(dir, `${name}-csr.json`), csr);
  const out = JSON.parse(await runCfssl(dir, ['genkey', '-initca', `${name}-csr.json`])) as {
    cert: string;
    key: string;
  };
  writeFileSync(join(dir, `${name}.pem`), out.cert);
  writeFileSync(join(dir, `${name}-key.pem`), out.key, { mode: 0o600 });
}

function runCfssl(cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('cfssl', args, { cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cfssl ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    // cfssl may exit before reading its stdin; that is not an error here.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

async function waitFor(url: string, method: 'GET' | 'POST'): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(url, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
