// cli-table3's internal helpers module (no types of its own): src/report/cli-table.ts patches one.
declare module 'cli-table3/src/utils.js' {
  const utils: { truncate: (str: string, desiredLength: number, truncateChar?: string) => string };
  export default utils;
}
