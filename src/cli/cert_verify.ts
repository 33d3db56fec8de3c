import { Command } from 'commander';

export function certVerifyCommand(): Command {
  return new Command('verify')
    .description("validate a certificate chain with the gateway's own validator")
    .requiredOption('--anchor <file>', 'trust anchor (PEM or DER)')
    .requiredOption('--chain <file>', 'leaf first, then intermediates (PEM or DER)')
    .option('--json', 'machine-readable output')
    .action(() => {
      throw new Error('cert verify: not implemented yet');
    });
}
