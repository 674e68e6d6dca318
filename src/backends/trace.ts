/** Whether LAB_TRACE=1 asks for every command with its timing on stderr (see tracedRunner). */
export const tracing = (): boolean => process.env['LAB_TRACE'] === '1';
