import { Argument, Command } from 'commander';
import type { CommandModule } from '../context.js';
import { withExamples } from '../options.js';

/** `istiops completion bash|zsh|fish`: prints the shell's completion script. */
export const completion: CommandModule = {
  parent: null,
  create: ({ io }) =>
    withExamples(
      new Command('completion')
        .description('print the shell completion script (commands, flags, -o values, kubeconfig contexts and namespaces)')
        .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
        .action(async (shell: 'bash' | 'zsh' | 'fish') => {
          const { completionScript } = await import('../completion.js');
          io.stdout(completionScript(shell, io.binName ?? 'istiops'));
        }),
      [
        ['bash, in the current shell', 'source <($0 completion bash)'],
        ['zsh, for every shell (after compinit in ~/.zshrc)', 'echo \'source <($0 completion zsh)\' >> ~/.zshrc'],
        ['fish', '$0 completion fish > ~/.config/fish/completions/istiops.fish'],
      ],
    ),
};
