/**
 * The command line: assembles the program from the command table (`commands/index.ts`) and the
 * shared options (`options.ts`), and maps every error to one line and an exit code. The commands load
 * heavy modules (the Kubernetes client, YAML, schema validation) only inside their actions, so
 * `istiops version` starts at the speed of bare Node.
 */
import { Command, CommanderError } from 'commander';
import { IstiopsError, PlanRefusedError, UsageError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { ExitCode, type CliIO } from './context.js';
import { addGlobalOptions, withExamples } from './options.js';

export type { CliIO } from './context.js';
export { ExitCode } from './context.js';
export { VERSION } from './commands/version.js';

/**
 * Builds the command tree. Global flags are accepted anywhere on the line, as with kubectl, and every
 * command's help lists them.
 */
export function buildProgram(io: CliIO): Command {
  const program = new Command(io.programName ?? 'istiops')
    .description('Manage Istio traffic: header and weight shifts, rollback, clear and show, on a cluster or on YAML manifests')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`istiops: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .configureHelp({ showGlobalOptions: true })
    .helpCommand('help [command...]', 'display help for a command, e.g. "help traffic shift"');
  addGlobalOptions(program);
  const traffic = withExamples(new Command('traffic').description("manage Istio's traffic rules"), [
    ['the routing of namespace bookinfo', '$0 traffic show -n bookinfo'],
    ['10% of the requests for reviews to build 3', '$0 traffic shift -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 -w 10'],
    ['the help of one command', '$0 help traffic shift'],
  ]);
  const add = (parent: Command, cmd: Command): void => {
    cmd.copyInheritedSettings(parent);
    parent.addCommand(cmd);
  };
  add(program, traffic);
  for (const m of COMMANDS) add(m.parent === 'traffic' ? traffic : program, m.create({ io }));
  return program;
}

/** Flags of the tree that take a value (`-o`, `--output`, ...), and those that never do anywhere. */
function valueFlags(program: Command): { values: Set<string>; ambiguous: Set<string> } {
  const values = new Set<string>();
  const booleans = new Set<string>();
  const walk = (cmd: Command): void => {
    for (const o of cmd.options) for (const f of [o.short, o.long]) if (f) (o.required || o.optional ? values : booleans).add(f);
    cmd.commands.forEach(walk);
  };
  walk(program);
  return { values, ambiguous: new Set([...values].filter((f) => booleans.has(f))) };
}

/**
 * kubectl's spellings that commander does not read: `-o=yaml` and `-n=ns` (commander reads `-oyaml`,
 * `-nns` and `--output=yaml` itself), and a bare `--dry-run`, which means `client`.
 */
export function normalizeArgs(args: readonly string[], program: Command): string[] {
  const { values: flags, ambiguous } = valueFlags(program);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const short = /^(-[A-Za-z])=(.*)$/s.exec(a);
    if (short && flags.has(short[1] as string)) {
      out.push(short[1] as string, short[2] as string);
    } else if (a === '--dry-run') {
      out.push('--dry-run=client');
    } else {
      out.push(a);
      // The next word is this flag's value, whatever it looks like.
      if (flags.has(a) && !ambiguous.has(a) && i + 1 < args.length) out.push(args[++i] as string);
    }
  }
  return out;
}

/** `help <command...>` at any depth: the command named by the words, or a usage error. */
function helpTarget(program: Command, words: readonly string[]): Command {
  let target = program;
  for (const w of words) {
    if (w.startsWith('-')) continue;
    const sub = target.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!sub) throw new UsageError(`help: unknown command "${[...ancestry(target), w].slice(1).join(' ')}"`);
    target = sub;
  }
  return target;
}

function ancestry(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * Runs the CLI with `args` (without `node` and the script). Returns the exit code: 0 done (including
 * nothing to change, and a watch ended by an interrupt), 1 runtime or API error, 2 invalid usage or
 * input. Never throws.
 */
export async function run(args: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    if (args.length === 0) {
      program.outputHelp();
      return 2;
    }
    if (args[0] === '__complete') {
      const { complete, formatCompletion } = await import('./completion.js');
      io.stdout(formatCompletion(await complete(program, args.slice(1), io.env)));
      return 0;
    }
    if (args[0] === 'help') {
      helpTarget(program, args.slice(1)).outputHelp();
      return 0;
    }
    await program.parseAsync(normalizeArgs(args, program), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return 0;
      return 2;
    }
    if (e instanceof ExitCode) return e.code;
    if (e instanceof IstiopsError) {
      // The domain states the facts; the command line names the flag that would override them.
      const hint = e instanceof PlanRefusedError && e.overridable ? ' (--force overrides)' : '';
      io.stderr(`istiops: ${e.message.split('\n')[0]}${hint}\n`);
      if (io.env['ISTIOPS_DEBUG']) io.stderr(`${String(e.stack)}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`istiops: internal error: ${message.split('\n')[0]}\n`);
    if (io.env['ISTIOPS_DEBUG'] && e instanceof Error) io.stderr(`${String(e.stack)}\n`);
    return 1;
  }
}
