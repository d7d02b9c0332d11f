/** `kha-drill status`'s core: gather → StatusReport (with verdict) → text or JSON. */
export { StatusClients } from './clients.js';
export {
  etcdRow,
  gatherStatus,
  leaseRow,
  type StatusMaster,
  type StatusProbes,
  type StatusTarget,
} from './gather.js';
export { apiTable, boxTable, etcdTable, humanBytes, leaseTable, renderJson, renderText } from './render.js';
export {
  findProblems,
  LOAD_BALANCER,
  STATUS_SCHEMA_VERSION,
  verdictLine,
  withVerdict,
  type ApiRow,
  type EtcdRow,
  type LeaseRow,
  type Observations,
  type ProbeRow,
  type StatusReport,
} from './report.js';
