/**
 * Reads the fields of an ErrorResponse or NoticeResponse body (type byte +
 * NUL-terminated string, ending with a zero byte). Used for logging and for
 * the SQLSTATE of upstream failures; bytes are forwarded untouched otherwise.
 */
export function readErrorFields(buffer: Buffer, start: number, end: number): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = start;
  while (offset < end) {
    const type = buffer[offset] as number;
    if (type === 0) break;
    const stringEnd = buffer.indexOf(0, offset + 1);
    if (stringEnd < 0 || stringEnd >= end) break;
    fields.set(String.fromCharCode(type), buffer.toString('utf8', offset + 1, stringEnd));
    offset = stringEnd + 1;
  }
  return fields;
}
