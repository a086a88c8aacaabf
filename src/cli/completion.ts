/**
 * Shell completion, generated from the commander command tree. One engine answers every shell:
 * `istiops __complete <words...>` (the words after the program name, the word being completed last,
 * possibly empty) prints one candidate per line (`value<TAB>description`), then `:<directive>`: the
 * protocol of cobra, which kubectl uses for its plugins (`kubectl_complete-istiops`, kubectl 1.26+).
 * The bash, zsh and fish scripts of `istiops completion <shell>` call it.
 *
 * No library is used: the kept commander completion packages either install into the user's shell
 * files (tabtab), need another program (carapace) or target other tools (fig); walking commander's
 * tree is a few dozen lines.
 *
 * Contexts and namespaces are read from the kubeconfig file(s) only: no cluster request.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command, Option } from 'commander';
import { completionOf, outputFormatsOf } from './options.js';

/** cobra's ShellCompDirective bits. */
export const Directive = { default: 0, error: 1, noSpace: 2, noFileComp: 4 } as const;

/** One completion candidate. */
export interface Candidate {
  readonly value: string;
  readonly description?: string;
}

/** What to offer for the word under the cursor. */
export interface CompletionResult {
  readonly candidates: readonly Candidate[];
  /** cobra directive: 0 lets the shell complete file names when there is no candidate; 4 never. */
  readonly directive: number;
}

/** Options of `cmd` and of its ancestors (the global flags), as the user may type them there. */
function optionsInScope(cmd: Command): Option[] {
  const out: Option[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(...c.options);
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return optionsInScope(cmd).find((o) => o.long === flag || o.short === flag);
}

const takesValue = (o: Option): boolean => o.required || o.optional;

/** Reads the contexts and their namespaces from the kubeconfig files (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`). */
async function kubeconfigNames(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): Promise<{ contexts: string[]; namespaces: string[] }> {
  const files = kubeconfig !== undefined ? [kubeconfig] : env['KUBECONFIG'] ? env['KUBECONFIG'].split(delimiter).filter(Boolean) : [join(env['HOME'] ?? homedir(), '.kube', 'config')];
  const { parseYamlText: parse } = await import('./yaml-text.js');
  const contexts: string[] = [];
  const namespaces = new Set<string>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(await readFile(file, 'utf8'));
    } catch {
      continue;
    }
    const list = (doc as { contexts?: unknown } | null)?.contexts;
    if (!Array.isArray(list)) continue;
    for (const entry of list as unknown[]) {
      const e = entry as { name?: unknown; context?: { namespace?: unknown } } | null;
      if (typeof e?.name === 'string' && !contexts.includes(e.name)) contexts.push(e.name);
      if (typeof e?.context?.namespace === 'string') namespaces.add(e.context.namespace);
    }
  }
  namespaces.add('default');
  return { contexts, namespaces: [...namespaces].sort() };
}

async function valuesOf(option: Option, cmd: Command, prefix: string, kubeconfig: string | undefined, env: NodeJS.ProcessEnv): Promise<CompletionResult> {
  const how = option.long === '--output' ? { kind: 'words' as const, words: outputFormatsOf(cmd) } : completionOf(option);
  const keep = (values: readonly string[]): Candidate[] => values.filter((v) => v.startsWith(prefix)).map((value) => ({ value }));
  switch (how.kind) {
    case 'words':
      return { candidates: keep(how.words), directive: Directive.noFileComp };
    case 'files':
      return { candidates: [], directive: Directive.default };
    case 'contexts':
      return { candidates: keep((await kubeconfigNames(kubeconfig, env)).contexts), directive: Directive.noFileComp };
    case 'namespaces':
      return { candidates: keep((await kubeconfigNames(kubeconfig, env)).namespaces), directive: Directive.noFileComp };
    case 'none':
      return { candidates: [], directive: Directive.noFileComp };
  }
}

/**
 * Completes `words` (after the program name; the last is the word under the cursor) against the
 * command tree of `program`: subcommands, the flags in scope (own and global), and flag values
 * (`-o` formats of the command, `-m` modes, kubeconfig contexts and namespaces, files).
 * For `--flag=partial` the candidates are values only, as with cobra.
 */
export async function complete(program: Command, words: readonly string[], env: NodeJS.ProcessEnv): Promise<CompletionResult> {
  let cmd = program;
  let kubeconfig: string | undefined;
  const before = words.slice(0, -1);
  const current = words.at(-1) ?? '';
  let pending: Option | undefined;
  let dashdash = false;
  for (const w of before) {
    if (pending) {
      if (pending.long === '--kubeconfig') kubeconfig = w;
      pending = undefined;
      continue;
    }
    if (!dashdash && w === '--') {
      dashdash = true;
      continue;
    }
    if (!dashdash && w.startsWith('-') && w.length > 1) {
      const eq = w.indexOf('=');
      const flag = w.startsWith('--') ? (eq > 0 ? w.slice(0, eq) : w) : w.slice(0, 2);
      const option = findOption(cmd, flag);
      const inline = w.startsWith('--') ? eq > 0 : w.length > 2;
      if (option && takesValue(option) && !inline) pending = option;
      if (option?.long === '--kubeconfig' && inline) kubeconfig = w.startsWith('--') ? w.slice(eq + 1) : w.slice(2);
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) cmd = sub;
  }
  if (pending) return valuesOf(pending, cmd, current, kubeconfig, env);
  if (!dashdash && current.startsWith('--') && current.includes('=')) {
    const eq = current.indexOf('=');
    const option = findOption(cmd, current.slice(0, eq));
    return option && takesValue(option) ? valuesOf(option, cmd, current.slice(eq + 1), kubeconfig, env) : { candidates: [], directive: Directive.noFileComp };
  }
  if (!dashdash && current.startsWith('-')) {
    const candidates: Candidate[] = [];
    const options = [...cmd.createHelp().visibleOptions(cmd), ...optionsInScope(cmd)];
    for (const o of options) {
      if (o.hidden) continue;
      for (const flag of [o.long, o.short]) {
        if (flag?.startsWith(current) && !candidates.some((c) => c.value === flag)) candidates.push({ value: flag, description: o.description });
      }
    }
    return { candidates, directive: Directive.noFileComp };
  }
  const subs = cmd.createHelp().visibleCommands(cmd).filter((c) => c.name().startsWith(current));
  return { candidates: subs.map((c) => ({ value: c.name(), description: c.description() })), directive: Directive.noFileComp };
}

/** The `__complete` output: `value<TAB>description` lines, then `:<directive>`. */
export function formatCompletion(result: CompletionResult): string {
  const lines = result.candidates.map((c) => (c.description ? `${c.value}\t${c.description.replace(/\s+/g, ' ')}` : c.value));
  return `${[...lines, `:${result.directive}`].join('\n')}\n`;
}

/** Shells `istiops completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * The completion script for `shell`. It registers for `istiops` and `kubectl-istiops` and calls
 * `<bin> __complete` with the words of the line.
 */
export function completionScript(shell: Shell, bin: string): string {
  const fn = `_${bin.replace(/[^A-Za-z0-9]/g, '_')}_complete`;
  switch (shell) {
    case 'bash':
      return `# bash completion for istiops (generated by "${bin} completion bash").
# Load it in the current shell:  source <(${bin} completion bash)
# or for every shell:            ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
${fn}() {
  local i w cur words=() out directive c
  COMPREPLY=()
  # bash splits "--flag=value" at "=" (COMP_WORDBREAKS): join the pieces again.
  for ((i = 1; i <= COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((\${#words[@]} > 0)) && { [[ $w == "=" && \${words[-1]} == --* ]] || [[ \${COMP_WORDS[i-1]} == "=" && \${words[-1]} == --*= ]]; }; then
      words[-1]="\${words[-1]}$w"
    else
      words+=("$w")
    fi
  done
  cur="\${words[-1]}"
  [[ $cur == --*=* ]] && cur="\${cur#*=}"
  out=$(${bin} __complete "\${words[@]}" 2>/dev/null) || return 0
  directive="\${out##*:}"
  out="\${out%:*}"
  local IFS=$'\\n'
  for c in $out; do
    c="\${c%%$'\\t'*}"
    [[ -n $c && $c == "$cur"* ]] && COMPREPLY+=("$c")
  done
  if ((\${#COMPREPLY[@]} == 0 && (directive & 4) == 0)); then
    compopt -o default 2>/dev/null
  fi
  return 0
}
complete -F ${fn} istiops
complete -F ${fn} kubectl-istiops
`;
    case 'zsh':
      return `#compdef istiops kubectl-istiops
# zsh completion for istiops (generated by "${bin} completion zsh").
# Load it:  source <(${bin} completion zsh)   (after compinit)
${fn}() {
  local out directive line
  local -a lines values descriptions
  out=$(${bin} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -z $line ]] && continue
    values+=("\${line%%$'\\t'*}")
    if [[ $line == *$'\\t'* ]]; then descriptions+=("\${line%%$'\\t'*} -- \${line#*$'\\t'}"); else descriptions+=("\${line}"); fi
  done
  [[ \${words[CURRENT]} == --*=* ]] && compset -P '*='
  if (( \${#values} == 0 )); then
    (( (directive & 4) == 0 )) && _files
    return
  fi
  compadd -l -d descriptions -a values
}
compdef ${fn} istiops kubectl-istiops
`;
    case 'fish':
      return `# fish completion for istiops (generated by "${bin} completion fish").
# Load it:  ${bin} completion fish | source
# or:       ${bin} completion fish > ~/.config/fish/completions/${bin}.fish
function ${fn}
    set -l args (commandline -opc)[2..-1] (commandline -ct)
    set -l out (${bin} __complete $args 2>/dev/null)
    or return
    set -l directive (string replace ':' '' -- $out[-1])
    set -e out[-1]
    if test (count $out) -eq 0
        if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path (commandline -ct)
        end
        return
    end
    set -l prefix (string match -r -- '^--[^=]*=' (commandline -ct))
    for line in $out
        printf '%s%s\\n' "$prefix" $line
    end
end
complete -c istiops -f -a '(${fn})'
complete -c kubectl-istiops -f -a '(${fn})'
`;
  }
}
