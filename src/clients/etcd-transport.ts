/** Picks the etcd transport an inventory asks for (`etcd.transport`). */
import { gatewayConnect, type EtcdConnect } from './etcd.js';
import { grpcConnect } from './etcd-grpc.js';

export type EtcdTransport = 'gateway' | 'grpc';

export function etcdConnect(transport: EtcdTransport | undefined): EtcdConnect {
  return transport === 'grpc' ? grpcConnect : gatewayConnect;
}
