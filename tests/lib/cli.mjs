// The `kelisim` CLI as the end-to-end tests run it: the debug binary cargo builds, one process per
// call, its output collected. Nothing here builds it; the test files do (cargo build -p kelisim-cli).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './stack.mjs';

export const CLI_BIN = join(ROOT, 'target/debug/kelisim');

/**
 * Runs the CLI with `args` and exactly the environment `env` (a key set to undefined is left out),
 * writing `input` to its standard input. Resolves to { code, stdout, stderr }.
 */
export function runCli(args, { env = process.env, input = '' } = {}) {
  const environment = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
  return new Promise((resolve, reject) => {
    const child = spawn(CLI_BIN, args, { env: environment, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A CLI that fails before reading its input (e.g. a missing JWKS file) closes stdin early.
    child.stdin.on('error', (e) => { if (e.code !== 'EPIPE') reject(e); });
    child.stdin.end(input);
  });
}
