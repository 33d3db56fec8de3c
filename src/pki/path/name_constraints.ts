/**
 * RFC 5280 4.2.1.10 name constraints for dNSName, iPAddress, rfc822Name and directoryName. Other name
 * forms cannot be evaluated, so a constraint on one of them refuses any certificate that carries a
 * name of that form (the RFC's "process the constraint or reject the certificate").
 *
 * Each constraining CA's extension is checked on its own against every certificate below it; doing
 * so for every CA on the path is the same as intersecting the permitted sets, without building them.
 */
import type { GeneralName, NameConstraintsValue, ParsedCertificate } from '../certificate/parsed_certificate';
import { OID_EMAIL_ADDRESS, nameHasPrefix } from '../certificate/x500_name';

const OID_COMMON_NAME = '2.5.4.3';

/** Above this many (name × subtree) comparisons a certificate is refused instead of evaluated. */
export const MAX_NAME_CONSTRAINT_CHECKS = 65_536;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function isIpv4Literal(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}

/** Syntax of a dNSName in a certificate: LDH labels, a leading `*.` wildcard label allowed. */
export function validDnsName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.length === 0 || lower.length > 253 || isIpv4Literal(lower)) return false;
  const labels = lower.split('.');
  return labels.every((label, i) => (i === 0 && label === '*' && labels.length > 1) || LABEL.test(label));
}

/** Syntax of a dNSName constraint: a domain without wildcards or a leading dot (or empty: all names). */
function validDnsConstraint(name: string): boolean {
  return name === '' || (validDnsName(name) && !name.startsWith('*'));
}

function dnsWithin(name: string, constraint: string): boolean {
  if (constraint === '') return true;
  return name === constraint || name.endsWith(`.${constraint}`);
}

/** Whether some name the (possibly wildcard) SAN stands for falls within the constraint. */
function dnsMayMatch(name: string, constraint: string): boolean {
  if (dnsWithin(name, constraint)) return true;
  if (!name.startsWith('*.')) return false;
  const base = name.slice(2);
  // `*.example.com` stands for `<label>.example.com`; it meets subtree `bar.example.com` and below.
  const dot = constraint.indexOf('.');
  return dot > 0 && constraint.slice(dot + 1) === base;
}

function splitEmail(value: string): { local: string; host: string } | undefined {
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@') || at === value.length - 1) return undefined;
  return { local: value.slice(0, at), host: value.slice(at + 1).toLowerCase() };
}

function validEmailConstraint(value: string): boolean {
  if (value.includes('@')) return splitEmail(value) !== undefined;
  const host = value.startsWith('.') ? value.slice(1) : value;
  return validDnsName(host) && !host.startsWith('*');
}

function emailWithin(value: string, constraint: string): boolean {
  const mailbox = splitEmail(value);
  if (!mailbox) return false;
  if (constraint.includes('@')) {
    const c = splitEmail(constraint);
    // The local part is compared exactly (it may be case-sensitive); `*` in it is a literal.
    return c !== undefined && c.local === mailbox.local && c.host === mailbox.host;
  }
  const lower = constraint.toLowerCase();
  if (lower.startsWith('.')) return mailbox.host.endsWith(lower);
  return mailbox.host === lower;
}

function validIpConstraint(value: Uint8Array): boolean {
  if (value.length !== 8 && value.length !== 32) return false;
  const mask = value.subarray(value.length / 2);
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && seenZero) return false;
      if (!set) seenZero = true;
    }
  }
  return true;
}

function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i] as number;
    if (((address[i] as number) & mask) !== ((constraint[i] as number) & mask)) return false;
  }
  return true;
}

/** Why a constraint is malformed, or undefined. */
function constraintProblem(base: GeneralName): string | undefined {
  switch (base.type) {
    case 'dns':
      return validDnsConstraint(base.value.toLowerCase())
        ? undefined
        : `malformed dNSName constraint "${base.value}"`;
    case 'email':
      return validEmailConstraint(base.value) ? undefined : `malformed rfc822Name constraint "${base.value}"`;
    case 'ip':
      return validIpConstraint(base.value)
        ? undefined
        : 'malformed iPAddress constraint (not address and mask)';
    default:
      return undefined;
  }
}

/** Why a name in a certificate is malformed, or undefined (checked whether or not constraints apply). */
export function generalNameProblem(name: GeneralName): string | undefined {
  switch (name.type) {
    case 'dns':
      return validDnsName(name.value) ? undefined : `malformed dNSName "${name.value}"`;
    case 'email':
      return splitEmail(name.value) ? undefined : `malformed rfc822Name "${name.value}"`;
    case 'ip':
      return name.value.length === 4 || name.value.length === 16
        ? undefined
        : 'malformed iPAddress (not 4 or 16 octets)';
    default:
      return undefined;
  }
}

/** A host name in a commonName: letter-digit-hyphen labels, at least two of them (OpenSSL's test). */
const DNS_LIKE_CN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** Whether a commonName reads as a host name by the test above (also the redirect-host fallback's). */
export function isHostNameLike(commonName: string): boolean {
  return DNS_LIKE_CN.test(commonName);
}

/** The names of a certificate that constraints apply to: subject DN, subject emailAddress, SAN entries. */
function constrainedNames(cert: ParsedCertificate): GeneralName[] {
  const names: GeneralName[] = [...(cert.subjectAltNames ?? [])];
  // An end entity without DNS names in a SAN may still be used for a host named in its CN; OpenSSL
  // holds such a CN to the DNS constraints, so a constrained CA cannot escape them by leaving out the SAN.
  const cnIsHostName = !cert.isCa && !names.some((name) => name.type === 'dns');
  if (!cert.subject.isEmpty) {
    names.push({ type: 'dir', value: cert.subject });
    for (const rdn of cert.subject.rdns) {
      for (const attribute of rdn) {
        if (attribute.type === OID_EMAIL_ADDRESS) names.push({ type: 'email', value: attribute.display });
        if (cnIsHostName && attribute.type === OID_COMMON_NAME && DNS_LIKE_CN.test(attribute.display))
          names.push({ type: 'dns', value: attribute.display });
      }
    }
  }
  return names;
}

function matches(name: GeneralName, base: GeneralName, excluded: boolean): boolean | 'unsupported' {
  if (name.type !== base.type) return false;
  switch (name.type) {
    case 'dns': {
      const n = name.value.toLowerCase();
      const c = (base.value as string).toLowerCase();
      return excluded ? dnsMayMatch(n, c) : dnsWithin(n, c);
    }
    case 'email':
      return emailWithin(name.value, base.value as string);
    case 'ip':
      return ipWithin(name.value, base.value as Uint8Array);
    case 'dir':
      return base.type === 'dir' && nameHasPrefix(name.value, base.value);
    default:
      return 'unsupported';
  }
}

/**
 * Checks one CA's name constraints against a certificate below it. Returns a refusal reason or
 * undefined when every name of the certificate is allowed.
 */
export function checkNameConstraints(
  constraints: NameConstraintsValue,
  constrainedBy: string,
  cert: ParsedCertificate,
): string | undefined {
  for (const subtree of [...constraints.permitted, ...constraints.excluded]) {
    const problem = constraintProblem(subtree.base);
    if (problem) return `${constrainedBy} has a ${problem}`;
  }
  const names = constrainedNames(cert);
  const total = constraints.permitted.length + constraints.excluded.length;
  if (names.length * total > MAX_NAME_CONSTRAINT_CHECKS) {
    return `name constraints of ${constrainedBy} against ${cert.label} need more than ${MAX_NAME_CONSTRAINT_CHECKS} comparisons`;
  }
  const permittedTypes = new Set(constraints.permitted.map((s) => s.base.type));
  for (const name of names) {
    for (const subtree of constraints.excluded) {
      const hit = matches(name, subtree.base, true);
      if (hit === 'unsupported') {
        return `${constrainedBy} constrains ${name.type} names, which ${cert.label} carries and this validator cannot evaluate`;
      }
      if (hit)
        return `${cert.label} has a ${name.type} name excluded by the name constraints of ${constrainedBy}`;
    }
    if (!permittedTypes.has(name.type)) continue;
    let allowed = false;
    for (const subtree of constraints.permitted) {
      const hit = matches(name, subtree.base, false);
      if (hit === 'unsupported') {
        return `${constrainedBy} constrains ${name.type} names, which ${cert.label} carries and this validator cannot evaluate`;
      }
      if (hit) {
        allowed = true;
        break;
      }
    }
    if (!allowed)
      return `${cert.label} has a ${name.type} name outside the permitted names of ${constrainedBy}`;
  }
  return undefined;
}
