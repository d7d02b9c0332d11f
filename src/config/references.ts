/**
 * Checks that need more than one field: targets that name masters and steps, SLO and abort
 * expressions against the metric vocabulary, and inventory timings. They run on the raw data
 * (defensively typed), so they add to schema problems instead of waiting for them to be fixed.
 */
import type { Problem } from '../errors.js';
import { METRICS, isMetricName, type MetricInfo } from '../metrics/names.js';
import { ExpressionError, checkVocabulary, parseExpression } from '../slo/parse.js';
import { parseDuration } from '../text/duration.js';
import type { Inventory } from './schema.js';
import type { PathSegment, YamlSource } from './source.js';
import { closest } from '../text/suggest.js';
import { tunnelClashes, tunnelEndpoints } from './reach.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function checkDrillReferences(raw: Obj, src: YamlSource, inventory?: Inventory): Problem[] {
  const problems: Problem[] = [];
  const inside = (path: PathSegment[], offset: number, message: string): void => {
    const start = src.stringContentOffset(path);
    problems.push(src.problemAt(start === undefined ? src.offsetOf(path) : start + offset, path, message));
  };

  // step ids: unique across inject and restore; step:<id> names an earlier inject step
  const firstId = new Map<string, string>();
  const injectIds: string[] = [];
  const allIds = (['inject', 'restore'] as const).flatMap((section) =>
    list(raw[section]).flatMap((s) => (isObj(s) && typeof s.id === 'string' ? [s.id] : [])),
  );
  const checkTarget = (path: PathSegment[], target: unknown, earlier: readonly string[]): void => {
    if (typeof target !== 'string') return;
    const master = /^master:(.+)$/.exec(target);
    if (master && inventory) {
      const names = inventory.masters.map((m) => m.name);
      const name = master[1]!;
      if (!names.includes(name)) {
        // names such as master-1..3 are all "close": list them rather than guess
        const near = names.length > 12 ? closest(name, names) : undefined;
        const hint = near ? `did you mean 'master:${near}'?` : `expected one of: ${names.join(', ')}`;
        inside(path, 'master:'.length, `no master named '${name}' in the inventory (${hint})`);
      }
    }
    const step = /^step:(.+)$/.exec(target);
    if (step) {
      const id = step[1]!;
      if (!earlier.includes(id)) {
        const later = allIds.includes(id);
        const near = closest(id, earlier);
        const hint = near
          ? `did you mean 'step:${near}'?`
          : earlier.length
            ? `expected one of: ${earlier.join(', ')}`
            : 'expected the id of an earlier inject step';
        inside(
          path,
          'step:'.length,
          later
            ? `step '${id}' is not an earlier inject step (${hint})`
            : `no inject step with id '${id}' (${hint})`,
        );
      }
    }
  };
  const checkSteps = (section: 'inject' | 'restore'): void => {
    list(raw[section]).forEach((step, i) => {
      if (!isObj(step)) return;
      const earlier = [...injectIds];
      checkTarget([section, i, 'target'], step.target, earlier);
      list(step.from).forEach((t, j) => checkTarget([section, i, 'from', j], t, earlier));
      if (typeof step.id === 'string') {
        const first = firstId.get(step.id);
        if (first !== undefined) {
          problems.push(
            src.problemAt(
              src.offsetOf([section, i, 'id']),
              [section, i, 'id'],
              `duplicate step id '${step.id}' (first used at ${first})`,
            ),
          );
        } else {
          firstId.set(step.id, `${section}[${i}]`);
          if (section === 'inject') injectIds.push(step.id);
        }
      }
    });
  };
  checkSteps('inject');
  checkSteps('restore');

  // expressions
  const watchers = isObj(raw.watchers) ? raw.watchers : {};
  for (const section of ['slo', 'abort'] as const) {
    list(raw[section]).forEach((expr, i) => {
      if (typeof expr !== 'string') return;
      const path = [section, i];
      try {
        const parsed = parseExpression(expr);
        for (const e of checkVocabulary(parsed)) inside(path, e.offset, e.message);
        const name = parsed.metric.name;
        if (isMetricName(name)) {
          const info: MetricInfo = METRICS[name];
          if (info.watcher && !Object.hasOwn(watchers, info.watcher)) {
            inside(
              path,
              parsed.metric.nameSpan.start,
              `${name} needs the ${info.watcher} watcher (expected watchers.${info.watcher} in this drill)`,
            );
          }
        }
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        inside(path, err.offset, err.message);
      }
    });
  }
  return problems;
}

/** Inventory rules beyond single fields. Runs on schema-valid data. */
export function checkInventoryRules(inv: Inventory, src: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: PathSegment[], message: string): void => {
    problems.push(src.problemAt(src.offsetOf(path), path, message));
  };
  // two masters may share a host behind different SSH ports, never a name or nodeName
  const unique: Array<
    [field: 'name' | 'host' | 'nodeName', key: (m: Inventory['masters'][number]) => string]
  > = [
    ['name', (m) => m.name],
    ['host', (m) => `${m.host}:${m.port ?? ''}`],
    ['nodeName', (m) => m.nodeName],
  ];
  for (const [field, key] of unique) {
    const first = new Map<string, number>();
    inv.masters.forEach((m, i) => {
      const k = key(m);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else
        at(
          ['masters', i, field],
          `duplicate ${field} '${m[field]}' (each master needs its own; also masters[${j}])`,
        );
    });
  }
  const via = inv.kubernetes.loadBalancerVia;
  const names = inv.masters.map((m) => m.name);
  if (via !== undefined && !names.includes(via)) {
    const near = names.length > 12 ? closest(via, names) : undefined;
    at(
      ['kubernetes', 'loadBalancerVia'],
      `no master named '${via}' in the inventory (${near ? `did you mean '${near}'?` : `expected one of: ${names.join(', ')}`})`,
    );
  }
  for (const clash of tunnelClashes(inv)) at(['masters'], clash);
  // the gRPC transport dials etcd itself, outside the tunnels the HTTP clients take
  if (inv.etcd.transport === 'grpc' && tunnelEndpoints(inv).some((e) => e.what === 'etcd'))
    at(
      ['etcd', 'transport'],
      'grpc does not go through SSH tunnels yet: use transport gateway with reach: ssh-tunnel, or reach etcd directly',
    );
  if (inv.services.manager === 'custom' && !inv.services.custom) {
    at(
      ['services', 'manager'],
      'manager is custom but services.custom is missing (expected start, stop, kill, isActive)',
    );
  }
  // client-go refuses other timings (leaderelection.NewLeaderElector)
  const le = inv.kubernetes.leaderElection;
  const checkTimings = (
    lePath: PathSegment[],
    t: { leaseDuration: string; renewDeadline: string; retryPeriod: string },
    own: (k: 'renewDeadline' | 'retryPeriod') => boolean,
  ): void => {
    const lease = parseDuration(t.leaseDuration);
    const renew = parseDuration(t.renewDeadline);
    const retry = parseDuration(t.retryPeriod);
    if (!(lease > renew)) {
      at(
        [...lePath, own('renewDeadline') ? 'renewDeadline' : 'leaseDuration'],
        `renewDeadline ${t.renewDeadline} must be less than leaseDuration ${t.leaseDuration}`,
      );
    }
    if (!(renew > 1.2 * retry)) {
      at(
        [...lePath, own('retryPeriod') ? 'retryPeriod' : 'renewDeadline'],
        `retryPeriod ${t.retryPeriod} is too long (expected renewDeadline > 1.2 × retryPeriod)`,
      );
    }
  };
  checkTimings(['kubernetes', 'leaderElection'], le, () => true);
  for (const [ref, own] of Object.entries(le.leases ?? {})) {
    checkTimings(
      ['kubernetes', 'leaderElection', 'leases', ref],
      {
        leaseDuration: own.leaseDuration ?? le.leaseDuration,
        renewDeadline: own.renewDeadline ?? le.renewDeadline,
        retryPeriod: own.retryPeriod ?? le.retryPeriod,
      },
      (k) => own[k] !== undefined,
    );
  }
  return problems;
}
