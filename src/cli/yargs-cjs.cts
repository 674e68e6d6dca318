// yargs's CommonJS build, for main.ts: the ES module build of yargs 17 (lab's, package.json)
// wraps help lines in the middle of words ('per cas|e'), a known issue fixed in yargs 18; the
// CommonJS build wraps at spaces.
import yargs = require('yargs');
export = yargs;
