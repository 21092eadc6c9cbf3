/**
 * IP endpoints in one canonical spelling, so a handle's `hostname` and a socket's `sockaddr`
 * compare as strings: IPv4 dotted, IPv6 as eight lowercase hex groups without compression, and
 * IPv4-mapped IPv6 as plain IPv4 (a dual-stack socket reports its IPv4 peers that way).
 *
 * @module
 */

/** The canonical spelling of any unspecified address (`0.0.0.0`, `::`). */
export const WILDCARD = "*";

/** `ip:port`, with `ip` canonical; compared as strings. */
export type EndpointKey = string;

function v4(bytes: ArrayLike<number>, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** Canonical text of 4 (IPv4) or 16 (IPv6) address bytes starting at `at`. */
export function formatIp(bytes: ArrayLike<number>, at: number, length: 4 | 16): string {
  if (length === 4) {
    const text = v4(bytes, at);
    return text === "0.0.0.0" ? WILDCARD : text;
  }
  let zero = true;
  let mapped = true;
  for (let i = 0; i < 16; i++) {
    if (bytes[at + i] !== 0) zero = false;
    if (i < 10 ? bytes[at + i] !== 0 : i < 12 ? bytes[at + i] !== 0xff : false) mapped = false;
  }
  if (zero) return WILDCARD;
  if (mapped) return formatIp(bytes, at + 12, 4);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[at + i] << 8) | bytes[at + i + 1]).toString(16));
  return groups.join(":");
}

function parseV4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

function parseV6(text: string): number[] | undefined {
  let rest = text;
  let tail: number[] = [];
  // An embedded IPv4 address takes the last 32 bits.
  const lastColon = rest.lastIndexOf(":");
  if (rest.includes(".", lastColon)) {
    const embedded = parseV4(rest.slice(lastColon + 1));
    if (embedded === undefined) return undefined;
    tail = [(embedded[0] << 8) | embedded[1], (embedded[2] << 8) | embedded[3]];
    rest = rest.slice(0, lastColon + 1);
    if (!rest.endsWith("::")) rest = rest.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]);
  const back = halves.length === 2 ? group(halves[1]) : [];
  const words: number[] = [];
  for (const g of [...head, ...back]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  }
  const missing = 8 - head.length - back.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  words.push(...head.map((g) => parseInt(g, 16)), ...new Array(halves.length === 2 ? missing : 0).fill(0));
  words.push(...back.map((g) => parseInt(g, 16)), ...tail);
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

/** A hostname without its brackets, split at the zone (`fe80::1%eth0`: `fe80::1` and `eth0`). */
function splitZone(hostname: string): [text: string, zone: string | undefined] {
  let text = hostname.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  return zone === -1 ? [text, undefined] : [text.slice(0, zone), text.slice(zone + 1)];
}

/**
 * The canonical spelling of a hostname that is an IP literal (`127.0.0.1`, `::1`, `[::1]`,
 * `fe80::1%eth0`, `::ffff:10.0.0.1`), or `undefined` for a name such as `localhost`. The zone
 * is left out: {@link zoneOf} gives it.
 */
export function canonicalIp(hostname: string): string | undefined {
  const [text] = splitZone(hostname);
  const four = parseV4(text);
  if (four !== undefined) return formatIp(four, 0, 4);
  const six = text.includes(":") ? parseV6(text) : undefined;
  return six === undefined ? undefined : formatIp(six, 0, 16);
}

/** The zone of an IPv6 literal (`eth0` in `fe80::1%eth0`, `2` in `[fe80::1%2]`), or undefined. */
export function zoneOf(hostname: string): string | undefined {
  return splitZone(hostname)[1];
}

/**
 * Whether a canonical ip is IPv6 link-local (fe80::/10): the addresses the same on every link,
 * which only an interface (the zone, `sin6_scope_id`) tells apart.
 */
export function isLinkLocal(ip: string): boolean {
  const first = ip.includes(":") ? parseInt(ip.slice(0, ip.indexOf(":")), 16) : NaN;
  return (first & 0xffc0) === 0xfe80;
}

/** `ip:port` with a canonical ip; `ip%scope:port` for a scoped (link-local) address. */
export function endpointKey(ip: string, port: number, scope = 0): EndpointKey {
  return scope === 0 ? `${ip}:${port}` : `${ip}%${scope}:${port}`;
}

/** A human spelling of an endpoint for messages (`127.0.0.1:80`, `[::1]:80`, `*:80`). */
export function showEndpoint(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * How people write an address: IPv6 with its longest run of zero groups compressed (`::1`), and
 * the unspecified address as `0.0.0.0` or `::` after the socket's family.
 */
export function displayIp(ip: string, family: 4 | 6 | undefined): string {
  if (ip === WILDCARD) return family === 6 ? "::" : "0.0.0.0";
  if (!ip.includes(":")) return ip;
  const groups = ip.split(":");
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  if (best === -1) return ip;
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLength).join(":")}`;
}
