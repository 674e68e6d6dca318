// The lab that runs inside the VM starts here: bin.ts without top-level await, so that it can be
// bundled as CommonJS and loaded with a V8 code cache (src/backends/vm/bundle.ts).
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
