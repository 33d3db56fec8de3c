/**
 * The PSU-IP-Address rule, stated once: the header is an IPv4 address in dotted decimal or an IPv6
 * address, nothing else. A read carrying it does not count against frequencyPerDay, so anything looser
 * lets a TPP lift the limit with any string. The OpenAPI document names the format (`ip-address`); the
 * validator registers this function for it.
 */
import { isIP } from 'node:net';

export const IP_ADDRESS_FORMAT = 'ip-address';

export function isIpAddress(value: string): boolean {
  // A zone index (fe80::1%eth0) names an interface of the PSU's device, not an address.
  return isIP(value) !== 0 && !value.includes('%');
}
