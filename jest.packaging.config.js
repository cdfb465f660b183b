// The packaging suite (`npm run test:packaging`, run by .ci/run after `npm test`): builds the
// packages with `npm run package` and installs them on this machine with dpkg, as root. Kept out
// of `npm test` because it changes the machine (/usr/bin, /etc/edict, /var/lib) and takes a minute.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  roots: ['<rootDir>/test/packaging'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
  maxWorkers: 1,
};
