#!/usr/bin/env node
// The lab's own entry (the product never imports it): `kha-drill lab …` runs this.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
