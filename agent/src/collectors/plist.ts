// Minimal property-list reader for Info.plist files: XML plists and binary `bplist00` (what Xcode
// writes into most shipped bundles). Returns plain JS values (dict → object, array → array, string,
// number, boolean, Date, Buffer). Only what bundle identification needs; malformed input throws.

export type PlistValue = string | number | boolean | Date | Buffer | null | PlistValue[] | { [k: string]: PlistValue };

export function parsePlist(buf: Buffer): PlistValue {
  return buf.subarray(0, 8).toString('latin1') === 'bplist00' ? parseBinary(buf) : parseXml(buf.toString('utf8'));
}

// ---- XML ----------------------------------------------------------------------------------

function parseXml(text: string): PlistValue {
  const tokens = [...text.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\/?)([A-Za-z]+)(?:\s+[^>]*?)?\s*(\/?)>|([^<]+)/g)];
  let i = 0;
  const next = () => tokens[i++];
  const skipText = () => {
    while (i < tokens.length && tokens[i][4] !== undefined && !tokens[i][4].trim()) i++;
  };
  const value = (): PlistValue => {
    skipText();
    const t = next();
    if (!t || t[1]) throw new Error('plist: unexpected end or closing tag');
    const tag = t[2];
    if (t[3]) return tag === 'true' ? true : tag === 'false' ? false : tag === 'dict' ? {} : tag === 'array' ? [] : tag === 'string' ? '' : null;
    if (tag === 'dict') {
      const obj: Record<string, PlistValue> = {};
      for (;;) {
        skipText();
        if (tokens[i]?.[1] && tokens[i][2] === 'dict') return (i++, obj);
        const k = next();
        if (!k || k[2] !== 'key') throw new Error('plist: expected <key>');
        const name = textUntil('key');
        obj[name] = value();
      }
    }
    if (tag === 'array') {
      const arr: PlistValue[] = [];
      for (;;) {
        skipText();
        if (tokens[i]?.[1] && tokens[i][2] === 'array') return (i++, arr);
        arr.push(value());
      }
    }
    if (tag === 'plist') {
      const v = value();
      skipText();
      next(); // </plist>
      return v;
    }
    const raw = textUntil(tag);
    switch (tag) {
      case 'string':
        return raw;
      case 'integer':
        return parseInt(raw, 10);
      case 'real':
        return parseFloat(raw);
      case 'date':
        return new Date(raw);
      case 'data':
        return Buffer.from(raw.replace(/\s+/g, ''), 'base64');
      default:
        throw new Error(`plist: unknown tag <${tag}>`);
    }
  };
  const textUntil = (tag: string): string => {
    let s = '';
    while (i < tokens.length && tokens[i][4] !== undefined) s += tokens[i++][4];
    const close = next();
    if (!close || !close[1] || close[2] !== tag) throw new Error(`plist: expected </${tag}>`);
    return decodeEntities(s);
  };
  // Start at <plist>: the XML declaration and DOCTYPE before it are not plist content.
  i = tokens.findIndex((t) => t[2] === 'plist' && !t[1]);
  if (i < 0) throw new Error('plist: no <plist> element');
  return value();
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
}

// ---- binary (bplist00) -------------------------------------------------------------------

/** Nesting deeper than this is a malformed or hostile file, not an Info.plist. */
const MAX_DEPTH = 64;

function parseBinary(buf: Buffer): PlistValue {
  if (buf.length < 40) throw new Error('bplist: too short');
  const trailer = buf.subarray(buf.length - 32);
  const offsetSize = trailer[6];
  const refSize = trailer[7];
  const numObjects = Number(trailer.readBigUInt64BE(8));
  const top = Number(trailer.readBigUInt64BE(16));
  const tableOffset = Number(trailer.readBigUInt64BE(24));
  const uint = (at: number, size: number): number => {
    let v = 0;
    for (let k = 0; k < size; k++) v = v * 256 + buf[at + k];
    return v;
  };
  const offsetOf = (ref: number): number => {
    if (ref >= numObjects) throw new Error('bplist: bad object reference');
    return uint(tableOffset + ref * offsetSize, offsetSize);
  };
  const obj = (ref: number, depth: number): PlistValue => {
    if (depth > MAX_DEPTH) throw new Error('bplist: too deep');
    let at = offsetOf(ref);
    const marker = buf[at];
    const type = marker >> 4;
    const info = marker & 0x0f;
    const length = (): number => {
      if (info !== 0x0f) return info;
      const intMarker = buf[at + 1];
      const size = 1 << (intMarker & 0x0f);
      const n = uint(at + 2, size);
      at += 1 + size;
      return n;
    };
    switch (type) {
      case 0x0:
        return info === 0x8 ? false : info === 0x9 ? true : null;
      case 0x1: {
        const size = 1 << info;
        return size === 8 ? Number(buf.readBigInt64BE(at + 1)) : uint(at + 1, size);
      }
      case 0x2:
        return info === 2 ? buf.readFloatBE(at + 1) : buf.readDoubleBE(at + 1);
      case 0x3:
        return new Date(Date.UTC(2001, 0, 1) + buf.readDoubleBE(at + 1) * 1000);
      case 0x4: {
        const n = length();
        return Buffer.from(buf.subarray(at + 1, at + 1 + n));
      }
      case 0x5: {
        const n = length();
        return buf.toString('latin1', at + 1, at + 1 + n);
      }
      case 0x6: {
        const n = length();
        const b = Buffer.from(buf.subarray(at + 1, at + 1 + n * 2));
        return b.swap16().toString('utf16le');
      }
      case 0x8:
        return uint(at + 1, info + 1);
      case 0xa: {
        const n = length();
        return Array.from({ length: n }, (_, k) => obj(uint(at + 1 + k * refSize, refSize), depth + 1));
      }
      case 0xd: {
        const n = length();
        const out: Record<string, PlistValue> = {};
        for (let k = 0; k < n; k++) {
          const key = obj(uint(at + 1 + k * refSize, refSize), depth + 1);
          out[String(key)] = obj(uint(at + 1 + (n + k) * refSize, refSize), depth + 1);
        }
        return out;
      }
      default:
        throw new Error(`bplist: unsupported object type 0x${type.toString(16)}`);
    }
  };
  return obj(top, 0);
}
