/** What an SSH connection is given (endpoint, settings, environment) and what a command returns. */
export interface SshEndpoint {
  /** master name, for messages */
  name: string;
  host: string;
  /** the inventory's port for this master (its own, else ssh.port) */
  port: number;
  /** settings written on this master in the inventory: they win over the SSH config file */
  own?: MasterSshOverrides;
}

/** What one master's inventory entry may set for its SSH route. */
export interface MasterSshOverrides {
  port?: number;
  user?: string;
  identityFile?: string;
  jumpHost?: JumpHostSettings;
  proxyCommand?: string;
}

export interface JumpHostSettings {
  host: string;
  port: number;
  user?: string;
  identityFile?: string;
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
  jumpHost?: JumpHostSettings;
  /** an OpenSSH client config file; `required` when the inventory named it (else a missing file is fine) */
  configFile?: { path: string; required: boolean };
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
