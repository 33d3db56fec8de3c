import { Command } from 'commander';

export function fixturesCommand(): Command {
  return new Command('fixtures')
    .description('generate the fixture PKI (Trent, Bob, Alice, Carol, Mallory)')
    .action(() => {
      throw new Error('fixtures: not implemented yet');
    });
}
