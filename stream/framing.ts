/**
 * The two framings an event's Avro binary body travels in.
 *
 * - Avro single-object encoding (Avro specification, "Single-object encoding"): `C3 01`, then the
 *   writer schema's CRC-64-AVRO fingerprint as 8 little-endian bytes, then the body.
 * - Confluent wire format (Confluent Schema Registry, "Wire format"): a `00` magic byte, the
 *   schema id the registry assigned as a 4-byte big-endian integer, then the body.
 *
 * The first byte tells them apart: C3 is never 00.
 */

/** `C3 01`: the single-object marker. */
export const SINGLE_OBJECT_MARKER: readonly [number, number] = [0xc3, 0x01]
/** Marker (2) + fingerprint (8). */
export const SINGLE_OBJECT_HEADER_LENGTH = 10
/** The Confluent magic byte. */
export const CONFLUENT_MAGIC = 0x00
/** Magic (1) + schema id (4). */
export const CONFLUENT_HEADER_LENGTH = 5
/** Registry ids are non-negative Java ints. */
export const MAX_SCHEMA_ID = 0x7fffffff

export type Frame =
  | { readonly format: 'single-object'; readonly fingerprint: Buffer; readonly body: Buffer }
  | { readonly format: 'confluent'; readonly schemaId: number; readonly body: Buffer }
  | { readonly format: 'unknown'; readonly reason: string }

/** Frames a body with single-object encoding; `fingerprint` is the 8 little-endian bytes. */
export function singleObjectFrame(fingerprint: Uint8Array, body: Uint8Array): Buffer {
  if (fingerprint.length !== 8) throw new RangeError(`a CRC-64-AVRO fingerprint is 8 bytes, got ${fingerprint.length}`)
  const out = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_LENGTH + body.length)
  out[0] = SINGLE_OBJECT_MARKER[0]
  out[1] = SINGLE_OBJECT_MARKER[1]
  out.set(fingerprint, 2)
  out.set(body, SINGLE_OBJECT_HEADER_LENGTH)
  return out
}

/** Frames a body with the Confluent wire format. */
export function confluentFrame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new RangeError(`a schema registry id is an integer 0..${MAX_SCHEMA_ID}, got ${schemaId}`)
  }
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH + body.length)
  out[0] = CONFLUENT_MAGIC
  out.writeUInt32BE(schemaId, 1)
  out.set(body, CONFLUENT_HEADER_LENGTH)
  return out
}

/** Splits a message into its framing and body (no copy), or says why it is neither framing. */
export function parseFrame(message: Uint8Array): Frame {
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  if (b.length >= 2 && b[0] === SINGLE_OBJECT_MARKER[0] && b[1] === SINGLE_OBJECT_MARKER[1]) {
    if (b.length < SINGLE_OBJECT_HEADER_LENGTH) {
      return { format: 'unknown', reason: `single-object header is ${SINGLE_OBJECT_HEADER_LENGTH} bytes, message has ${b.length}` }
    }
    return { format: 'single-object', fingerprint: b.subarray(2, SINGLE_OBJECT_HEADER_LENGTH), body: b.subarray(SINGLE_OBJECT_HEADER_LENGTH) }
  }
  if (b.length >= 1 && b[0] === CONFLUENT_MAGIC) {
    if (b.length < CONFLUENT_HEADER_LENGTH) {
      return { format: 'unknown', reason: `Confluent header is ${CONFLUENT_HEADER_LENGTH} bytes, message has ${b.length}` }
    }
    const schemaId = b.readUInt32BE(1)
    if (schemaId > MAX_SCHEMA_ID) return { format: 'unknown', reason: `Confluent schema id ${schemaId} is negative as a Java int` }
    return { format: 'confluent', schemaId, body: b.subarray(CONFLUENT_HEADER_LENGTH) }
  }
  const head = b.subarray(0, 4).toString('hex') || '(empty)'
  return {
    format: 'unknown',
    reason: `message starts with ${head}: neither Avro single-object encoding (c301) nor Confluent wire format (00)`,
  }
}
