/**
 * External programs that integration tests need (PostgreSQL, cfssl, SoftHSM…).
 * Missing on a developer's machine: the tests are skipped with a clear message.
 * Missing in CI (CI=true): a failure, never a silent skip.
 */
export async function requireExternal(
  name: string,
  probe: () => Promise<unknown> | unknown,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (process.env.CI === 'true') {
      throw new Error(`${name} is required in CI but is not available: ${reason}`);
    }
    console.warn(`SKIPPED: ${name} is not available here (${reason}); these tests need it.`);
    return false;
  }
}
