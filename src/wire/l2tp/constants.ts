/**
 * L2TPv2 protocol numbers (RFC 2661): control message types (section 3.2), AVP attribute types
 * (section 4.4), Result Code values for StopCCN and CDN and the General Error Codes (section
 * 4.4.2), plus the fixed header constants of section 3.1.
 *
 * Pure data, no behaviour. Names follow the RFC's vocabulary (SCCRQ, ICCN, CDN, ...). The enums
 * are numeric so that `MessageType[type]` yields the RFC name for logs.
 */

/** Control message types, RFC 2661 section 3.2. Values 0, 5 and 13 are reserved. */
export enum MessageType {
  SCCRQ = 1,
  SCCRP = 2,
  SCCCN = 3,
  StopCCN = 4,
  HELLO = 6,
  OCRQ = 7,
  OCRP = 8,
  OCCN = 9,
  ICRQ = 10,
  ICRP = 11,
  ICCN = 12,
  CDN = 14,
  WEN = 15,
  SLI = 16,
}

/** AVP attribute types with Vendor ID 0 (IETF), RFC 2661 section 4.4. 20 is reserved. */
export enum AvpType {
  MessageType = 0,
  ResultCode = 1,
  ProtocolVersion = 2,
  FramingCapabilities = 3,
  BearerCapabilities = 4,
  TieBreaker = 5,
  FirmwareRevision = 6,
  HostName = 7,
  VendorName = 8,
  AssignedTunnelId = 9,
  ReceiveWindowSize = 10,
  Challenge = 11,
  Q931CauseCode = 12,
  ChallengeResponse = 13,
  AssignedSessionId = 14,
  CallSerialNumber = 15,
  MinimumBps = 16,
  MaximumBps = 17,
  BearerType = 18,
  FramingType = 19,
  CalledNumber = 21,
  CallingNumber = 22,
  SubAddress = 23,
  TxConnectSpeed = 24,
  PhysicalChannelId = 25,
  InitialReceivedLcpConfReq = 26,
  LastSentLcpConfReq = 27,
  LastReceivedLcpConfReq = 28,
  ProxyAuthenType = 29,
  ProxyAuthenName = 30,
  ProxyAuthenChallenge = 31,
  ProxyAuthenId = 32,
  ProxyAuthenResponse = 33,
  CallErrors = 34,
  Accm = 35,
  RandomVector = 36,
  PrivateGroupId = 37,
  RxConnectSpeed = 38,
  SequencingRequired = 39,
}

/** Result Code values defined for StopCCN, RFC 2661 section 4.4.2. */
export const StopCcnResult = {
  /** 1: General request to clear control connection. */
  ClearConnection: 1,
  /** 2: General error, Error Code indicates the problem. */
  GeneralError: 2,
  /** 3: Control channel already exists. */
  AlreadyExists: 3,
  /** 4: Requester is not authorized to establish a control channel. */
  NotAuthorized: 4,
  /** 5: The protocol version of the requester is not supported (Error Code = highest supported). */
  UnsupportedProtocolVersion: 5,
  /** 6: Requester is being shut down. */
  ShuttingDown: 6,
  /** 7: Finite State Machine error. */
  FsmError: 7,
} as const;

/** Result Code values defined for CDN, RFC 2661 section 4.4.2. */
export const CdnResult = {
  /** 1: Call disconnected due to loss of carrier. */
  LostCarrier: 1,
  /** 2: Call disconnected for the reason indicated in error code. */
  GeneralError: 2,
  /** 3: Call disconnected for administrative reasons. */
  AdminDisconnect: 3,
  /** 4: Call failed due to lack of appropriate facilities being available (temporary). */
  TemporaryLackOfResources: 4,
  /** 5: Call failed due to lack of appropriate facilities being available (permanent). */
  PermanentLackOfResources: 5,
  /** 6: Invalid destination. */
  InvalidDestination: 6,
  /** 7: Call failed due to no carrier detected. */
  NoCarrier: 7,
  /** 8: Call failed due to detection of a busy signal. */
  Busy: 8,
  /** 9: Call failed due to lack of a dial tone. */
  NoDialTone: 9,
  /** 10: Call was not established within time allotted by LAC. */
  Timeout: 10,
  /** 11: Call was connected but no appropriate framing was detected. */
  NoFraming: 11,
} as const;

/** General Error Codes carried in the Result Code AVP, RFC 2661 section 4.4.2. */
export const GeneralError = {
  /** 0: No general error. */
  NoError: 0,
  /** 1: No control connection exists yet for this LAC-LNS pair. */
  NoControlConnection: 1,
  /** 2: Length is wrong. */
  LengthWrong: 2,
  /** 3: One of the field values was out of range or reserved field was non-zero. */
  FieldOutOfRange: 3,
  /** 4: Insufficient resources to handle this operation now. */
  InsufficientResources: 4,
  /** 5: The Session ID is invalid in this context. */
  InvalidSessionId: 5,
  /** 6: A generic vendor-specific error occurred in the LAC. */
  VendorError: 6,
  /** 7: Try another (Error Message may name the LNS to try). */
  TryAnother: 7,
  /** 8: Session or tunnel was shutdown due to receipt of an unknown AVP with the M-bit set. */
  UnknownMandatoryAvp: 8,
} as const;

export type StopCcnResultCode = (typeof StopCcnResult)[keyof typeof StopCcnResult];
export type CdnResultCode = (typeof CdnResult)[keyof typeof CdnResult];
export type GeneralErrorCode = (typeof GeneralError)[keyof typeof GeneralError];

/** Protocol Version AVP value for L2TPv2 (RFC 2661 4.4.3: "Ver ... MUST be 1, Rev ... MUST be 0"). */
export const PROTOCOL_VERSION = { version: 1, revision: 0 } as const;

/** The Ver field of the L2TPv2 header (RFC 2661 3.1). */
export const L2TP_VERSION = 2;
/** The Ver field of L2TPv3 (RFC 3931), recognised only to give a precise error. */
export const L2TPV3_VERSION = 3;
/** UDP port assigned to L2TP (RFC 2661 8.1). */
export const L2TP_PORT = 1701;

/** Framing Capabilities / Framing Type bits (RFC 2661 4.4.3, 4.4.5). */
export const Framing = { Sync: 0x1, Async: 0x2 } as const;
/** Bearer Capabilities / Bearer Type bits (RFC 2661 4.4.3, 4.4.5). */
export const Bearer = { Digital: 0x1, Analog: 0x2 } as const;
