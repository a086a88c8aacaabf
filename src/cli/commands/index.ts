/**
 * The command table: every command of the CLI, in help order.
 *
 * To add a command: write `src/cli/commands/<name>.ts` exporting a {@link CommandModule} (its parent,
 * `traffic` or null, and `create`, which builds the commander Command from the shared options of
 * `../options.ts`, adds two or three examples with `withExamples`, and imports anything heavy lazily
 * inside the action, with `runMutation` from `../context.ts` for commands that write), then add one
 * line below. Help, the global flags and shell completion follow from the table.
 */
import type { CommandModule } from '../context.js';
import { canary } from './canary.js';
import { clear } from './clear.js';
import { completion } from './completion.js';
import { fault } from './fault.js';
import { headers } from './headers.js';
import { mirror } from './mirror.js';
import { rollback } from './rollback.js';
import { shift } from './shift.js';
import { show } from './show.js';
import { version } from './version.js';
import { weight } from './weight.js';

export const COMMANDS: readonly CommandModule[] = [
  show,
  shift,
  rollback,
  clear,
  mirror,
  fault,
  canary,
  headers,
  weight,
  version,
  completion,
];
