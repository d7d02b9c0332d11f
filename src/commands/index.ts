/**
 * The command registry: each entry adds one command to the program. A command reports its
 * exit code through `setExit`; errors it throws are turned into output by cli.ts.
 */
import type { RegisterCommand } from './types.js';
import { registerValidate } from './validate/index.js';
import { registerList } from './list/index.js';
import { registerSchema } from './schema/index.js';
import { registerLab } from './lab/index.js';
import { registerStatus } from './status/index.js';
import { registerReport } from './report/index.js';
import { registerCompare } from './compare/index.js';
import { registerRun } from './run/index.js';
import { registerPlan } from './plan/index.js';
import { registerRecover } from './recover/index.js';

export type { RegisterCommand } from './types.js';

export const commands: RegisterCommand[] = [
  registerValidate,
  registerList,
  registerSchema,
  registerLab,
  registerStatus,
  registerReport,
  registerRun,
  registerPlan,
  registerRecover,
  registerCompare,
];
