/** What run, plan and recover load first: the inventory (resolved) and drills, with digests. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Context } from '../context.js';
import { resolveDrill } from '../config/drills.js';
import { requireInventoryPath, resolveInventory } from '../config/inventory.js';
import { loadDrillFile, loadInventoryFile } from '../config/load.js';
import { readInputFile } from '../fs/read-file.js';
import type { Drill, Inventory } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { KubeconfigError } from '../clients/kubeconfig-error.js';
import { terminalPassphrasePrompt } from '../ssh/prompt.js';
import type { SshEnv } from '../ssh/index.js';
import { LiveClusterView } from './live.js';

export interface LoadedInventory {
  inventory: Inventory;
  file: string;
  display: string;
  digest: string;
}

export interface LoadedDrill {
  drill: Drill;
  file: string;
  digest: string;
}

function digestOf(file: string): string {
  return `sha256:${createHash('sha256').update(readInputFile(file)).digest('hex')}`;
}

/** The inventory of `-i` (or KHA_INVENTORY…); `kubeContext` (--context) overrides kubernetes.context. */
export function loadInventoryFor(
  ctx: Context,
  flag: string | undefined,
  kubeContext?: string,
): LoadedInventory {
  const found = requireInventoryPath(ctx, flag);
  const raw = loadInventoryFile(found.path, { cwd: ctx.cwd });
  const inventory = resolveInventory(raw, ctx.env, path.dirname(found.path));
  if (kubeContext) inventory.kubernetes = { ...inventory.kubernetes, context: kubeContext };
  return {
    inventory,
    file: found.path,
    display: found.display,
    digest: digestOf(found.path),
  };
}

export function loadDrillFor(ctx: Context, nameOrPath: string, inventory: Inventory): LoadedDrill {
  const file = resolveDrill(nameOrPath, ctx.cwd);
  return { drill: loadDrillFile(file, { cwd: ctx.cwd, inventory }), file, digest: digestOf(file) };
}

export function sshEnvFor(ctx: Context, inv: LoadedInventory, warn: (m: string) => void): SshEnv {
  const prompt = terminalPassphrasePrompt();
  return { env: ctx.env, cwd: path.dirname(inv.file), warn, ...(prompt ? { promptPassphrase: prompt } : {}) };
}

export function liveViewFor(ctx: Context, inventory: Inventory): LiveClusterView {
  try {
    return new LiveClusterView(inventory, ctx.env, ctx.cwd);
  } catch (err) {
    // it names the kubeconfig file, field or context, and what to check
    if (err instanceof KubeconfigError) throw err;
    throw new UsageError(`cannot set up the cluster clients: ${(err as Error).message}`, {
      hint: 'check kubernetes.kubeconfig / kubernetes.context and etcd.tls in the inventory',
    });
  }
}
