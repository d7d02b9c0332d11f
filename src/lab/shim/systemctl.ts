/**
 * The lab's `systemctl` (<dir>/bin/<master>/systemctl runs this). It controls only the units of
 * the master named by KHA_LAB_MASTER, answering like systemd: `start|stop|restart|is-active|
 * is-failed|status|show|kill -s SIG <unit>...`, with systemd's exit codes (is-active 0/3,
 * status 0/3/4, unknown unit 5).
 */
import { statSync } from 'node:fs';
import { tail } from '../proc.js';
import { killUnit, loadUnit, startUnit, stopUnit, unitName, unitStatus, type UnitSpec } from '../units.js';

const SIGNALS: Record<string, NodeJS.Signals> = {
  KILL: 'SIGKILL',
  TERM: 'SIGTERM',
  STOP: 'SIGSTOP',
  CONT: 'SIGCONT',
  INT: 'SIGINT',
  HUP: 'SIGHUP',
  '9': 'SIGKILL',
  '15': 'SIGTERM',
  '19': 'SIGSTOP',
  '18': 'SIGCONT',
};

interface Args {
  verb: string;
  units: string[];
  signal: NodeJS.Signals;
  properties: string[];
  valueOnly: boolean;
  quiet: boolean;
}

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function parseSignal(text: string): NodeJS.Signals {
  const sig = SIGNALS[text.toUpperCase().replace(/^SIG/, '')];
  if (!sig) throw new Exit(1, `Failed to parse signal string ${text}.`);
  return sig;
}

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    verb: '',
    units: [],
    signal: 'SIGTERM',
    properties: [],
    valueOnly: false,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Exit(1, `option ${a} requires an argument`);
      return v;
    };
    if (a === '-s' || a === '--signal') args.signal = parseSignal(next());
    else if (a.startsWith('--signal=')) args.signal = parseSignal(a.slice('--signal='.length));
    else if (a === '-p' || a === '--property') args.properties.push(...next().split(','));
    else if (a.startsWith('--property=')) args.properties.push(...a.slice('--property='.length).split(','));
    else if (a === '--value') args.valueOnly = true;
    else if (a === '-q' || a === '--quiet') args.quiet = true;
    else if (a.startsWith('-'))
      continue; // --no-pager, -l, --no-block, --full: nothing to do here
    else if (!args.verb) args.verb = a;
    else args.units.push(a);
  }
  return args;
}

function since(spec: UnitSpec): string {
  try {
    return statSync(spec.pidFile).mtime.toString();
  } catch {
    return '';
  }
}

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const master = process.env.KHA_LAB_MASTER;
  const dir = process.env.KHA_LAB_DIR;
  if (!master || !dir) {
    throw new Exit(1, 'this is the kha-drill lab systemctl: KHA_LAB_MASTER and KHA_LAB_DIR must be set');
  }
  const args = parseArgs(argv);
  if (!args.verb) throw new Exit(1, 'too few arguments');
  const known = ['start', 'stop', 'restart', 'is-active', 'is-failed', 'status', 'show', 'kill'];
  if (!known.includes(args.verb)) throw new Exit(1, `Unknown command verb ${args.verb}.`);
  if (args.units.length === 0) throw new Exit(1, `Too few arguments.`);

  const specs: Array<[string, UnitSpec | undefined]> = args.units.map((arg) => {
    const name = unitName(arg);
    return [
      arg.endsWith('.service') ? arg : `${arg}.service`,
      name ? loadUnit(dir, master, name) : undefined,
    ];
  });

  switch (args.verb) {
    case 'is-active':
    case 'is-failed': {
      let code = args.verb === 'is-active' ? 0 : 1;
      for (const [, spec] of specs) {
        const state = spec ? unitStatus(dir, spec).state : 'inactive';
        if (!args.quiet) out(`${state}\n`);
        if (args.verb === 'is-active' && state !== 'active') code = 3;
        if (args.verb === 'is-failed' && state === 'failed') code = 0;
      }
      return code;
    }
    case 'status': {
      let code = 0;
      for (const [id, spec] of specs) {
        if (!spec) {
          out(`Unit ${id} could not be found.\n`);
          code = Math.max(code, 4);
          continue;
        }
        const { state, pid } = unitStatus(dir, spec);
        const sub =
          state === 'active'
            ? 'active (running)'
            : state === 'failed'
              ? 'failed (Result: signal)'
              : 'inactive (dead)';
        out(`${state === 'active' ? '●' : '○'} ${id} - ${spec.description}\n`);
        out(`     Loaded: loaded (${dir}/units/${master}/${spec.unit}.json; enabled)\n`);
        out(`     Active: ${sub}${state === 'active' ? ` since ${since(spec)}` : ''}\n`);
        if (pid !== undefined) out(`   Main PID: ${pid} (${spec.argv[0]?.split('/').pop() ?? ''})\n`);
        const logTail = tail(spec.logFile, 10);
        if (logTail && !args.quiet) out(`\n${logTail}\n`);
        if (state !== 'active') code = Math.max(code, 3);
      }
      return code;
    }
    case 'show': {
      for (const [id, spec] of specs) {
        const { state, pid } = spec ? unitStatus(dir, spec) : { state: 'inactive' as const, pid: undefined };
        const props: Record<string, string> = {
          Id: id,
          LoadState: spec ? 'loaded' : 'not-found',
          ActiveState: state,
          SubState: state === 'active' ? 'running' : state === 'failed' ? 'failed' : 'dead',
          MainPID: String(pid ?? 0),
        };
        const wanted = args.properties.length > 0 ? args.properties : Object.keys(props);
        for (const p of wanted) {
          if (props[p] === undefined) continue;
          out(args.valueOnly ? `${props[p]}\n` : `${p}=${props[p]}\n`);
        }
      }
      return 0;
    }
    default:
      break;
  }

  const missing = specs.find(([, spec]) => spec === undefined);
  if (missing) {
    const verb = args.verb === 'kill' ? 'kill unit' : args.verb;
    throw new Exit(5, `Failed to ${verb} ${missing[0]}: Unit ${missing[0]} not found.`);
  }
  const units = specs.map(([, spec]) => spec as UnitSpec);
  switch (args.verb) {
    case 'start':
      for (const spec of units) startUnit(dir, spec);
      return 0;
    case 'stop':
      await Promise.all(units.map((spec) => stopUnit(dir, spec)));
      return 0;
    case 'restart':
      await Promise.all(units.map((spec) => stopUnit(dir, spec)));
      for (const spec of units) startUnit(dir, spec);
      return 0;
    case 'kill': {
      let code = 0;
      for (const [id, spec] of specs) {
        if (!killUnit(dir, spec as UnitSpec, args.signal)) {
          process.stderr.write(`Failed to kill unit ${id}: No main process to kill\n`);
          code = 1;
        }
      }
      return code;
    }
  }
  return 1;
}

run(process.argv.slice(2), (s) => void process.stdout.write(s)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof Exit) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.code;
    } else {
      process.stderr.write(`systemctl (kha lab): ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
