/**
 * The smallest OpenAPI v3 that kubectl (1.27+) needs for `create`/`apply` with its default
 * `--validate=strict`: it looks for a PATCH operation on the Lease kind taking the `fieldValidation`
 * query parameter, and then leaves validation to the server instead of downloading schemas.
 * No component schemas: kubectl then computes apply patches from its built-in Lease type.
 */
import { GIT_VERSION } from './discovery.js';

const GROUP_PATH = 'apis/coordination.k8s.io/v1';
const HASH = 'KHALAB0000000001';

export function openApiV3Root(): Record<string, unknown> {
  return { paths: { [GROUP_PATH]: { serverRelativeURL: `/openapi/v3/${GROUP_PATH}?hash=${HASH}` } } };
}

const LEASE_GVK = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' };

function queryParam(name: string, description: string): Record<string, unknown> {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function operation(action: string, operationId: string, params: string[]): Record<string, unknown> {
  return {
    tags: ['coordination_v1'],
    operationId,
    parameters: params.map((p) => queryParam(p, p)),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': LEASE_GVK,
  };
}

export function openApiV3CoordinationV1(): Record<string, unknown> {
  const writeParams = ['dryRun', 'fieldManager', 'fieldValidation'];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: GIT_VERSION },
    paths: {
      '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases': {
        get: operation('list', 'listCoordinationV1NamespacedLease', [
          'fieldSelector',
          'labelSelector',
          'watch',
        ]),
        post: operation('post', 'createCoordinationV1NamespacedLease', writeParams),
      },
      '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}': {
        get: operation('get', 'readCoordinationV1NamespacedLease', []),
        put: operation('put', 'replaceCoordinationV1NamespacedLease', writeParams),
        patch: operation('patch', 'patchCoordinationV1NamespacedLease', [...writeParams, 'force']),
        delete: operation('delete', 'deleteCoordinationV1NamespacedLease', ['dryRun']),
      },
    },
    components: { schemas: {} },
  };
}
