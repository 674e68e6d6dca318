// Every verb, in the order `lab --help` lists them.
import { bench } from './bench.js';
import { clean } from './clean.js';
import type { AnyLabCommand } from './command.js';
import { doctor } from './doctor.js';
import { down } from './down.js';
import { exec } from './exec.js';
import { graph } from './graph.js';
import { kernels } from './kernels.js';
import { list } from './list.js';
import { recipe } from './recipe.js';
import { run } from './run.js';
import { shell } from './shell.js';
import { up } from './up.js';
import { validate } from './validate.js';

export const COMMANDS: readonly AnyLabCommand[] = [run, validate, graph, recipe, bench, doctor, kernels, clean, up, exec, shell, list, down];
