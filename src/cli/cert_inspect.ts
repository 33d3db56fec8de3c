import { Command } from 'commander';

export function certInspectCommand(): Command {
  return new Command('inspect')
    .description('decode a PEM/DER certificate or chain and print its identity and PSD2 attributes')
    .argument('<file>', 'certificate or chain file (PEM or DER)')
    .option('--json', 'machine-readable output')
    .action(() => {
      throw new Error('cert inspect: not implemented yet');
    });
}
