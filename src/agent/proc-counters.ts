// The kernel counters an agent reads (NamespaceAgent.counters): pure text in, numbers out.

/** /proc/net/snmp and /proc/net/netstat (header line, value line) and /proc/net/snmp6 (name value), as nstat names them. */
export const parseProcCounters = (...texts: string[]): Record<string, number> => {
  const counters: Record<string, number> = {};
  for (const text of texts) {
    const lines = text.trim().split('\n').filter(Boolean);
    if (lines.length && /^\S+\s+\d+$/.test(lines[0] ?? '')) {
      for (const line of lines) {
        const [name, value] = line.split(/\s+/);
        if (name && Number.isFinite(Number(value))) counters[name] = Number(value);
      }
      continue;
    }
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [prefix, ...names] = (lines[i] ?? '').split(/\s+/);
      const [, ...values] = (lines[i + 1] ?? '').split(/\s+/);
      const p = prefix?.replace(/:$/, '') ?? '';
      names.forEach((n, j) => {
        const v = Number(values[j]);
        if (Number.isFinite(v)) counters[`${p}${n}`] = v;
      });
    }
  }
  return counters;
};
