/** What each command folder exports: a function that adds its command to the program. */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export type RegisterCommand = (program: Command, ctx: Context, setExit: (code: number) => void) => void;
