// Showing the rule parser's error at its position: the server says which rule
// (index or name, from the error's field like "rules[2].condition") and the
// offset in the condition (0-based, in characters or UTF-8 bytes). The page
// marks that spot in the text.

// "rules[2].condition" -> 2; "rules.3.condition" -> 3; otherwise null.
export function ruleIndexFromField(field) {
  if (!field) return null;
  const m = /rules?(?:\[(\d+)\]|\.(\d+))/.exec(field);
  return m ? Number(m[1] ?? m[2]) : null;
}

// Convert a UTF-8 byte offset into a character offset in text.
export function byteToCharOffset(text, byteOffset) {
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    if (bytes >= byteOffset) return i;
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  return text.length;
}

// Position from the error details: { position | offset | column (1-based) | byte_offset }.
export function errorPosition(details, text) {
  if (!details || typeof text !== 'string') return null;
  let pos = null;
  if (Number.isInteger(details.position)) pos = details.position;
  else if (Number.isInteger(details.offset)) pos = details.offset;
  else if (Number.isInteger(details.column)) pos = details.column - 1;
  else if (Number.isInteger(details.byte_offset)) pos = byteToCharOffset(text, details.byte_offset);
  if (pos === null) {
    const m = /(?:位置|第)\s*(\d+)\s*(?:个字符|字符|列)?/.exec(details.message || '');
    if (m) pos = Number(m[1]) - 1;
  }
  if (pos === null || pos < 0) return null;
  return Math.min(pos, text.length);
}

// Split text around pos for display: { before, at, after } (at is one
// character, or a space marker at the end of the text).
export function markAt(text, pos) {
  const chars = Array.from(text);
  // pos is in UTF-16 units; map to a code point index
  let units = 0;
  let idx = chars.length;
  for (let i = 0; i < chars.length; i++) {
    if (units >= pos) {
      idx = i;
      break;
    }
    units += chars[i].length;
  }
  return {
    before: chars.slice(0, idx).join(''),
    at: idx < chars.length ? chars[idx] : ' ',
    after: chars.slice(idx + 1).join(''),
    column: idx + 1,
  };
}
