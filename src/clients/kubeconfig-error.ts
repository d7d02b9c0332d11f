/** A kubeconfig that cannot be used as it is: bad input (exit 2), naming the file, field or user. */
import { KhaError } from '../errors.js';

export class KubeconfigError extends KhaError {
  constructor(message: string, hint?: string) {
    super('E_KUBECONFIG', message, hint ? { hint } : {});
    this.name = 'KubeconfigError';
  }
}
