/** FIX tag numbers the engine itself uses, spelled as the spec spells them. */
export const Tag = {
  Account: 1,
  AvgPx: 6,
  BeginSeqNo: 7,
  BeginString: 8,
  BodyLength: 9,
  CheckSum: 10,
  ClOrdID: 11,
  CumQty: 14,
  Currency: 15,
  EndSeqNo: 16,
  ExecID: 17,
  ExecTransType: 20,
  HandlInst: 21,
  SecurityIDSource: 22,
  LastPx: 31,
  LastQty: 32,
  MsgSeqNum: 34,
  MsgType: 35,
  NewSeqNo: 36,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  PossDupFlag: 43,
  Price: 44,
  RefSeqNum: 45,
  SecurityID: 48,
  SenderCompID: 49,
  SenderSubID: 50,
  SendingTime: 52,
  Side: 54,
  Symbol: 55,
  TargetCompID: 56,
  TargetSubID: 57,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  Signature: 89,
  SecureDataLen: 90,
  SecureData: 91,
  SignatureLength: 93,
  RawDataLength: 95,
  RawData: 96,
  PossResend: 97,
  EncryptMethod: 98,
  StopPx: 99,
  OrdRejReason: 103,
  HeartBtInt: 108,
  TestReqID: 112,
  OnBehalfOfCompID: 115,
  OrigSendingTime: 122,
  GapFillFlag: 123,
  ExpireTime: 126,
  DeliverToCompID: 128,
  ResetSeqNumFlag: 141,
  NoRelatedSym: 146,
  Headline: 148,
  ExecType: 150,
  LeavesQty: 151,
  QuoteReqID: 131,
  QuoteID: 117,
  BidPx: 132,
  OfferPx: 133,
  BidSize: 134,
  OfferSize: 135,
  XmlDataLen: 212,
  XmlData: 213,
  MDReqID: 262,
  SubscriptionRequestType: 263,
  MarketDepth: 264,
  MDUpdateType: 265,
  NoMDEntryTypes: 267,
  NoMDEntries: 268,
  MDEntryType: 269,
  MDEntryPx: 270,
  MDEntrySize: 271,
  MDUpdateAction: 279,
  MDEntryID: 278,
  MDReqRejReason: 281,
  CxlRejResponseTo: 434,
  CxlRejReason: 102,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectRefID: 379,
  BusinessRejectReason: 380,
  MassStatusReqID: 584,
  MassStatusReqType: 585,
  Username: 553,
  Password: 554,
  NewPassword: 925,
  NextExpectedMsgSeqNum: 789,
  ApplVerID: 1128,
  DefaultApplVerID: 1137,
  LastMsgSeqNumProcessed: 369,
} as const;

/** MsgType (35) values of the session layer and the application messages fixg builds. */
export const MsgType = {
  Heartbeat: "0",
  TestRequest: "1",
  ResendRequest: "2",
  Reject: "3",
  SequenceReset: "4",
  Logout: "5",
  Logon: "A",
  ExecutionReport: "8",
  OrderCancelReject: "9",
  NewOrderSingle: "D",
  OrderCancelRequest: "F",
  OrderCancelReplaceRequest: "G",
  OrderStatusRequest: "H",
  OrderMassStatusRequest: "AF",
  BusinessMessageReject: "j",
  MarketDataRequest: "V",
  MarketDataSnapshotFullRefresh: "W",
  MarketDataIncrementalRefresh: "X",
  MarketDataRequestReject: "Y",
  QuoteRequest: "R",
  Quote: "S",
  Email: "C",
  SecurityDefinition: "d",
} as const;

/** Session-level (admin) message types: never resent, replaced by gap fills. */
export const ADMIN_MSG_TYPES: ReadonlySet<string> = new Set(["0", "1", "2", "3", "4", "5", "A"]);

/**
 * Data fields and the length field that precedes each: the value of a data field may contain SOH,
 * so its extent is given by the length field, not by the next delimiter.
 */
export const DATA_LENGTH_TAGS: ReadonlyMap<number, number> = new Map([
  [89, 93], // Signature <- SignatureLength
  [91, 90], // SecureData <- SecureDataLen
  [96, 95], // RawData <- RawDataLength
  [213, 212], // XmlData <- XmlDataLen
  [349, 348], // EncodedIssuer <- EncodedIssuerLen
  [351, 350], // EncodedSecurityDesc
  [353, 352], // EncodedListExecInst
  [355, 354], // EncodedText
  [357, 356], // EncodedSubject
  [359, 358], // EncodedHeadline
  [361, 360], // EncodedAllocText
  [363, 362], // EncodedUnderlyingIssuer
  [365, 364], // EncodedUnderlyingSecurityDesc
  [446, 445], // EncodedListStatusText
  [619, 618], // EncodedLegIssuer
  [622, 621], // EncodedLegSecurityDesc
]);

/** The reverse of DATA_LENGTH_TAGS: length tag -> data tag. */
export const LENGTH_TO_DATA_TAG: ReadonlyMap<number, number> = new Map(
  [...DATA_LENGTH_TAGS].map(([data, len]) => [len, data]),
);

/** Standard header tags (FIX 4.x and FIXT 1.1), used to put header fields first when encoding. */
export const HEADER_TAGS: ReadonlySet<number> = new Set([
  8,
  9,
  35,
  49,
  56,
  115,
  128,
  90,
  91,
  34,
  50,
  142,
  57,
  143,
  116,
  144,
  129,
  145,
  43,
  97,
  52,
  122,
  370, // OnBehalfOfSendingTime (FIX 4.2, 4.3)
  212,
  213,
  347,
  369,
  627,
  628,
  629,
  630,
  1128,
  1129,
  1156,
]);

/** Standard trailer tags. */
export const TRAILER_TAGS: ReadonlySet<number> = new Set([93, 89, 10]);
