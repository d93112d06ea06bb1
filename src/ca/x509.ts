// tsyringe, used inside @peculiar/x509, needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

/** @peculiar/x509, usable in Node: import it from here, not from the package. */
export { x509 };
