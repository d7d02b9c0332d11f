/** What an SSH connection is given (endpoint, settings, environment) and what a command returns. */
export interface SshEndpoint {
  /** master name, for messages */
  name: string;
  host: string;
  port: number;
}

export interface SshSettings {
  user: string;
  identityFile?: string;
  agent: boolean;
  knownHosts: string;
  strictHostKeyChecking: boolean;
  sudo: boolean;
  connectTimeoutMs: number;
  commandTimeoutS: number;
  jumpHost?: { host: string; port: number; user?: string; identityFile?: string };
}

export interface SshEnv {
  env: Record<string, string | undefined>;
  /** base for relative paths (the inventory's folder) */
  cwd: string;
  /** asks for a key passphrase; only given when a terminal can answer */
  promptPassphrase?: (question: string) => Promise<string>;
  /** a warning worth showing (e.g. a host accepted without strict checking) */
  warn?: (message: string) => void;
}

export interface ExecOptions {
  /** seconds; default the inventory's ssh.commandTimeout */
  timeoutS?: number;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}
