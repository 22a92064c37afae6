// PostgreSQL wire protocol v3 message codes and fixed sizes. pg-protocol
// parses server messages and serializes client messages only; a proxy needs
// the other direction too, so the codes are named here once.

/** Typed messages: 1 code byte + int32 length (which counts itself). */
export const HEADER_LENGTH = 5;
/** Startup-phase packets have no code byte: int32 length + int32 code. */
export const STARTUP_HEADER_LENGTH = 8;
/** PostgreSQL's own limit for a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET_LENGTH = 10_000;
/** PostgreSQL's own limit for any message (1 GB - 1). */
export const MAX_SERVER_MESSAGE_LENGTH = 0x3fffffff;

/** The int32 that follows the length in a startup-phase packet. */
export const enum StartupCode {
  ProtocolV3 = 196608, // 3 << 16 | 0
  CancelRequest = 80877102,
  SslRequest = 80877103,
  GssEncRequest = 80877104,
}

/** Frontend (client -> server) message codes. */
export const enum ClientCode {
  Bind = 0x42, // B
  Close = 0x43, // C
  Describe = 0x44, // D
  Execute = 0x45, // E
  FunctionCall = 0x46, // F
  Flush = 0x48, // H
  Parse = 0x50, // P
  Query = 0x51, // Q
  Sync = 0x53, // S
  Terminate = 0x58, // X
  CopyFail = 0x66, // f
  CopyDone = 0x63, // c
  CopyData = 0x64, // d
  /** PasswordMessage, SASLInitialResponse and SASLResponse share it. */
  Password = 0x70, // p
}

/** Backend (server -> client) message codes. */
export const enum ServerCode {
  ParseComplete = 0x31, // 1
  BindComplete = 0x32, // 2
  CloseComplete = 0x33, // 3
  EmptyQueryResponse = 0x49, // I
  NoData = 0x6e, // n
  PortalSuspended = 0x73, // s
  ParameterDescription = 0x74, // t
  FunctionCallResponse = 0x56, // V
  NotificationResponse = 0x41, // A
  CommandComplete = 0x43, // C
  DataRow = 0x44, // D
  ErrorResponse = 0x45, // E
  CopyInResponse = 0x47, // G
  CopyOutResponse = 0x48, // H
  BackendKeyData = 0x4b, // K
  NoticeResponse = 0x4e, // N
  Authentication = 0x52, // R
  ParameterStatus = 0x53, // S
  RowDescription = 0x54, // T
  CopyBothResponse = 0x57, // W
  ReadyForQuery = 0x5a, // Z
  CopyDone = 0x63, // c
  CopyData = 0x64, // d
  NegotiateProtocolVersion = 0x76, // v
}

/** Authentication request sub-codes (the int32 after an 'R'). */
export const enum AuthCode {
  Ok = 0,
  CleartextPassword = 3,
  Md5Password = 5,
  Sasl = 10,
  SaslContinue = 11,
  SaslFinal = 12,
}

/** Transaction status byte of ReadyForQuery. */
export const enum TxStatus {
  Idle = 0x49, // I
  InBlock = 0x54, // T
  Failed = 0x45, // E
}

/** Whether a code is one a client may send once the session is ready. */
export function isReadyPhaseClientCode(code: number): boolean {
  switch (code) {
    case ClientCode.Bind:
    case ClientCode.Close:
    case ClientCode.Describe:
    case ClientCode.Execute:
    case ClientCode.FunctionCall:
    case ClientCode.Flush:
    case ClientCode.Parse:
    case ClientCode.Query:
    case ClientCode.Sync:
    case ClientCode.Terminate:
    case ClientCode.CopyFail:
    case ClientCode.CopyDone:
    case ClientCode.CopyData:
      return true;
    default:
      return false;
  }
}
