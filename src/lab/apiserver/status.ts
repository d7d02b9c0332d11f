/** Kubernetes `Status` bodies with the upstream reasons and message texts (apimachinery errors.go). */

export const GROUP = 'coordination.k8s.io';
export const RESOURCE = 'leases';
export const QUALIFIED = `${RESOURCE}.${GROUP}`;

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  // Field order as kube-apiserver writes it: details before code.
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function leaseDetails(name: string): StatusDetails {
  return { name, group: GROUP, kind: RESOURCE };
}

export function notFound(name: string): Status {
  return failure(404, 'NotFound', `${QUALIFIED} "${name}" not found`, leaseDetails(name));
}

export function namespaceNotFound(ns: string): Status {
  return failure(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
}

export function alreadyExists(name: string): Status {
  return failure(409, 'AlreadyExists', `${QUALIFIED} "${name}" already exists`, leaseDetails(name));
}

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${QUALIFIED} "${name}": ${why}`,
    leaseDetails(name),
  );
}

export interface FieldError {
  field: string;
  /** The value as Go's %#v would print it, e.g. `0x0`, `"x"`, `-1`. Absent for Required. */
  value?: string;
  detail: string;
}

function describe(e: FieldError): string {
  return e.value === undefined ? `Required value: ${e.detail}` : `Invalid value: ${e.value}: ${e.detail}`;
}

/** 422 Invalid: details.kind is the Kind ("Lease"), not the resource, exactly as upstream. */
export function invalid(name: string, errors: FieldError[]): Status {
  const causes = errors.map((e) => ({
    reason: e.value === undefined ? 'FieldValueRequired' : 'FieldValueInvalid',
    message: describe(e),
    field: e.field,
  }));
  const list = errors.map((e) => `${e.field}: ${describe(e)}`);
  const aggregate = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return failure(422, 'Invalid', `Lease.${GROUP} "${name}" is invalid: ${aggregate}`, {
    name,
    group: GROUP,
    kind: 'Lease',
    causes,
  });
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(): Status {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unsupportedMediaType(contentType: string): Status {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${contentType})`,
  );
}

export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function expired(requested: string, oldest: string): Status {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** etcd unreachable or slow: kube-apiserver answers 500 with the storage error, or 504 on its own timeout. */
export function storageError(message: string, timeout: boolean): Status {
  return timeout
    ? failure(504, 'Timeout', `Timeout: request did not complete within requested timeout - ${message}`, {})
    : failure(500, 'InternalError', `Internal error occurred: ${message}`, {
        causes: [{ reason: '', message, field: '' }],
      });
}

export function deleted(name: string, uid: string | undefined): Record<string, unknown> {
  const details: StatusDetails = { name, group: GROUP, kind: RESOURCE };
  if (uid) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** A Status to answer with, thrown from deep inside a handler. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error');
  }
}
