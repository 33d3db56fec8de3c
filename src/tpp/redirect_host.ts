import { isHostNameLike } from '../pki/path/name_constraints';

/**
 * A redirect host as the TPP directory keeps it: lower case, no trailing dot, optionally `*.` standing
 * for exactly one leftmost label (as the redirect-URI check matches it). An IP address, a port, a path or
 * a scheme is refused: the check compares host names only, so such an entry would silently match nothing.
 */
export function redirectHost(argument: string): string {
  const host = argument.trim().toLowerCase().replace(/\.$/, '');
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (!isHostNameLike(name) || /^[\d.]+$/.test(name)) {
    throw new Error(
      `"${argument}" is not a host name (e.g. api.tpp.example, or *.tpp.example for one label); no scheme, port or path`,
    );
  }
  return host;
}
