/**
 * The one place that loads @peculiar/x509. Its dependency injection container needs the Reflect
 * metadata polyfill loaded first, and its crypto provider must be Node's WebCrypto; importing the
 * library anywhere else risks doing it in the wrong order.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type ProviderCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(webcrypto as unknown as ProviderCrypto);

export { x509, webcrypto };
