#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { certInspectCommand } from './cert_inspect';
import { certVerifyCommand } from './cert_verify';
import { fixturesCommand } from './fixtures_command';
import { consentCommand } from './consent_command';
import { conformanceCommand } from './conformance_command';
import { benchCommand } from './bench_command';
import { tppCommand } from './tpp_command';
import { totpCommand } from './totp_command';
import { sandboxBankCommand } from './sandbox_bank_command';
import { sandboxFundsCommand } from './sandbox_funds_command';
import { auditCommand } from './audit_command';
import { statsCommand } from './stats_command';
import { toolVersion } from './tool_version';

/** README's promise for every command: 2 for a usage error, whatever commander would have chosen. */
export const USAGE_EXIT_CODE = 2;

/** Help and --version exit 0; every other commander error (unknown option, missing argument) is usage. */
function usageExit(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
}

/** `addCommand` does not pass settings down, so the exit policy is set on every command of the tree. */
function applyExitPolicy(command: Command): void {
  command.exitOverride(usageExit);
  for (const sub of command.commands) applyExitPolicy(sub);
}

export function buildProgram(): Command {
  const program = new Command('psd2-gateway')
    .description('PSD2 gateway: mutual TLS with eIDAS QWACs in front of Berlin Group account APIs')
    .version(toolVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();

  const cert = new Command('cert').description('certificate tools for operators');
  cert.addCommand(certInspectCommand());
  cert.addCommand(certVerifyCommand());
  program.addCommand(cert);
  program.addCommand(fixturesCommand());
  program.addCommand(consentCommand());
  program.addCommand(tppCommand());
  program.addCommand(conformanceCommand());
  program.addCommand(benchCommand());
  program.addCommand(totpCommand());
  program.addCommand(sandboxBankCommand());
  program.addCommand(sandboxFundsCommand());
  program.addCommand(auditCommand());
  program.addCommand(statsCommand());
  applyExitPolicy(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      // A command that failed at its work (a refused consent decision, an unreachable database): 1.
      process.stderr.write(`psd2-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
