// yargs's CommonJS build, for main.ts: its ES module build wraps help lines in the middle of
// words (a known yargs 17 issue, fixed in yargs 18, which needs Node 20.19 or later).
import yargs = require('yargs');
export = yargs;
