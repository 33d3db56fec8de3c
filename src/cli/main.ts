#!/usr/bin/env node
import { Command } from 'commander';
import { certInspectCommand } from './cert_inspect';
import { certVerifyCommand } from './cert_verify';
import { fixturesCommand } from './fixtures_command';
import { consentCommand } from './consent_command';
import { conformanceCommand } from './conformance_command';
import { benchCommand } from './bench_command';
import { tppCommand } from './tpp_command';
import { totpCommand } from './totp_command';
import { sandboxBankCommand } from './sandbox_bank_command';
import { auditCommand } from './audit_command';
import { statsCommand } from './stats_command';

export function buildProgram(): Command {
  const program = new Command('psd2-gateway')
    .description('PSD2 gateway: mutual TLS with eIDAS QWACs in front of Berlin Group account APIs')
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
  program.addCommand(auditCommand());
  program.addCommand(statsCommand());
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`psd2-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    });
}
