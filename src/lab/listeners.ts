/** Which lab addresses still have a listening TCP socket (`ss -ltnH`, so nothing of ours is trusted). */
import { spawnSync } from 'node:child_process';

export function listeners(addresses: string[], ports: number[]): string[] {
  const r = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  const found: string[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local) continue;
    const i = local.lastIndexOf(':');
    const [addr, port] = [local.slice(0, i), Number(local.slice(i + 1))];
    if (addresses.includes(addr) && ports.includes(port))
      found.push(`${local} ${cols.slice(5).join(' ')}`.trim());
  }
  return found;
}
