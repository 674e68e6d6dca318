/**
 * argv that runs `argv` inside `netns`: `ip -n` for ip itself, `ip netns exec` for the rest. Both
 * give the command the namespace's own /sys; lab's perl process does the `ip netns exec` itself
 * (src/backends/forker.ts). Pure.
 */
export const inNetns = (netns: string, argv: readonly string[]): string[] =>
  argv[0] === 'ip' ? ['ip', '-n', netns, ...argv.slice(1)] : ['ip', 'netns', 'exec', netns, ...argv];
