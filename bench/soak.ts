export async function runSoak(log: (line: string) => void): Promise<void> {
  log('soak: not yet');
}
