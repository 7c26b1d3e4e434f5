/**
 * Expected decodes of every L2TP control message in the capture files of this folder, as
 * `tshark -r <file> -T fields` reported them (generated once with tshark 4.x and pasted here;
 * unit tests never run tshark). Byte strings are hex. `avpTypes` is the AVP order on the wire,
 * `hiddenTypes` the AVPs sent hidden (tshark cannot show their values; the tests check those by
 * hand). Values are tshark's reading of the wire: e.g. SoftEther's StopCCN Result Code shows as
 * result 0 error 1536 (0x0600), which our lenient decoder reads as error 6.
 */
export interface ExpectedControl {
  frame: number;
  srcPort: number;
  dstPort: number;
  tunnelId: number;
  sessionId: number;
  ns: number;
  nr: number;
  length: number;
  /** undefined = ZLB. */
  type: number | undefined;
  avpTypes: number[];
  hiddenTypes: number[];
  tshark: Record<string, unknown>;
}

export const EXPECTED_CONTROL: Record<string, ExpectedControl[]> = {
  'softether-lcp.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 12158, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 1416, callSerialNumber: 1, bearerType: 0}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 1416, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 1}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 3, nr: 2, length: 40, type: 12, avpTypes: [0, 24, 19], hiddenTypes: [], tshark: {txConnectSpeed: 100000000, framingType: 1}},
    {frame: 10, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 0, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 15, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 1416, resultCode: {result: 3, error: 0}}},
    {frame: 16, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 1416, ns: 2, nr: 5, length: 38, type: 14, avpTypes: [0, 14, 1], hiddenTypes: [], tshark: {assignedSessionId: 1, resultCode: {result: 3, error: 0}}},
    {frame: 17, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 18, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 12158, resultCode: {result: 1, error: 0}}},
    {frame: 19, srcPort: 1701, dstPort: 1701, tunnelId: 12158, sessionId: 0, ns: 3, nr: 6, length: 42, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 1, resultCode: {result: 0, error: 1536}}},
    {frame: 20, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 6, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'softether-ppp-chapmd5-refused.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 53187, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 39187, callSerialNumber: 1, bearerType: 0}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 39187, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 1}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 3, nr: 2, length: 40, type: 12, avpTypes: [0, 24, 19], hiddenTypes: [], tshark: {txConnectSpeed: 100000000, framingType: 1}},
    {frame: 10, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 0, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 25, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 39187, resultCode: {result: 3, error: 0}}},
    {frame: 26, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 39187, ns: 2, nr: 5, length: 38, type: 14, avpTypes: [0, 14, 1], hiddenTypes: [], tshark: {assignedSessionId: 1, resultCode: {result: 3, error: 0}}},
    {frame: 27, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 28, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 53187, resultCode: {result: 1, error: 0}}},
    {frame: 29, srcPort: 1701, dstPort: 1701, tunnelId: 53187, sessionId: 0, ns: 3, nr: 6, length: 42, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 1, resultCode: {result: 0, error: 1536}}},
    {frame: 30, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 6, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'softether-ppp-mschapv2.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 9727, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 25164, callSerialNumber: 1, bearerType: 0}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 25164, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 1}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 3, nr: 2, length: 40, type: 12, avpTypes: [0, 24, 19], hiddenTypes: [], tshark: {txConnectSpeed: 100000000, framingType: 1}},
    {frame: 10, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 0, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 40, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 25164, resultCode: {result: 3, error: 0}}},
    {frame: 41, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 25164, ns: 2, nr: 5, length: 38, type: 14, avpTypes: [0, 14, 1], hiddenTypes: [], tshark: {assignedSessionId: 1, resultCode: {result: 3, error: 0}}},
    {frame: 42, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 43, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 9727, resultCode: {result: 1, error: 0}}},
    {frame: 44, srcPort: 1701, dstPort: 1701, tunnelId: 9727, sessionId: 0, ns: 3, nr: 6, length: 42, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 1, resultCode: {result: 0, error: 1536}}},
    {frame: 45, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 6, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'softether-ppp-pap.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 17929, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 21844, callSerialNumber: 1, bearerType: 0}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 21844, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 1}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 3, nr: 2, length: 40, type: 12, avpTypes: [0, 24, 19], hiddenTypes: [], tshark: {txConnectSpeed: 100000000, framingType: 1}},
    {frame: 10, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 0, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 42, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 21844, resultCode: {result: 3, error: 0}}},
    {frame: 43, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 21844, ns: 2, nr: 5, length: 38, type: 14, avpTypes: [0, 14, 1], hiddenTypes: [], tshark: {assignedSessionId: 1, resultCode: {result: 3, error: 0}}},
    {frame: 44, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 45, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 5, nr: 3, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 17929, resultCode: {result: 1, error: 0}}},
    {frame: 46, srcPort: 1701, dstPort: 1701, tunnelId: 17929, sessionId: 0, ns: 3, nr: 6, length: 42, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 1, resultCode: {result: 0, error: 1536}}},
    {frame: 47, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 6, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'softether-sccrq.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 33501, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 33501, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 33501, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 33501, resultCode: {result: 1, error: 0}}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 33501, sessionId: 0, ns: 1, nr: 3, length: 42, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 1, resultCode: {result: 0, error: 1536}}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'xl2tpd-auth-hidden.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1702, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 129, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10, 11], hiddenTypes: [], tshark: {assignedTunnelId: 18824, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, challenge: 'e1a0f45a205a91ed0f8c80c98023234e', framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 0, ns: 0, nr: 1, length: 177, type: 2, avpTypes: [0, 36, 2, 3, 4, 6, 7, 8, 9, 10, 13, 11], hiddenTypes: [], tshark: {assignedTunnelId: 40161, hostName: 'lab-xl2tpd-lns', vendorName: 'xelerance.com', receiveWindowSize: 4, firmwareRevision: 1680, protocolVersion: {version: 1, revision: 0}, challenge: '34e54f37a1b1e17b5d3f3c7a3d3ca35f', challengeResponse: '7635487cac04bac7c06d497c3aa0a8b0', randomVector: '05c80df5604cc4cb0657a8f1d34c3cd3', framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 3, srcPort: 1701, dstPort: 1702, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 0, ns: 1, nr: 1, length: 80, type: 3, avpTypes: [0, 36, 13], hiddenTypes: [13], tshark: {randomVector: 'dea7b0392fc9bf3eb4e2f8db97de9b71'}},
    {frame: 5, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 0, ns: 2, nr: 1, length: 108, type: 10, avpTypes: [0, 36, 14, 15, 18], hiddenTypes: [14, 15, 18], tshark: {randomVector: 'b1c08193c03f727a709697898b692fc4'}},
    {frame: 7, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 11945, ns: 1, nr: 3, length: 50, type: 11, avpTypes: [0, 36, 14], hiddenTypes: [], tshark: {assignedSessionId: 8924, randomVector: 'f41a61703267d91e3ddcb21ccaf699e5'}},
    {frame: 8, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 8924, ns: 3, nr: 2, length: 86, type: 12, avpTypes: [0, 36, 24, 19], hiddenTypes: [24, 19], tshark: {randomVector: '5d7b018a645e9a0fd15de4f483bbb84a'}},
    {frame: 10, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 0, ns: 2, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 11, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 11945, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 12, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 8924, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 11945, resultCode: {result: 3, error: 0}}},
    {frame: 13, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 11945, ns: 2, nr: 5, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 14, srcPort: 1701, dstPort: 1702, tunnelId: 40161, sessionId: 0, ns: 5, nr: 2, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 18824, resultCode: {result: 1, error: 0}}},
    {frame: 15, srcPort: 1702, dstPort: 1701, tunnelId: 18824, sessionId: 0, ns: 2, nr: 6, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
  'xl2tpd-lac-to-softether.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1701, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 111, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 50714, hostName: 'lab-xl2tpd-lac', vendorName: 'xelerance.com', receiveWindowSize: 4, firmwareRevision: 1680, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 0, nr: 1, length: 82, type: 2, avpTypes: [0, 2, 3, 4, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 1, hostName: 'vm', vendorName: 'L2TP', receiveWindowSize: 16, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 3}},
    {frame: 3, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 8164, callSerialNumber: 1, bearerType: 0}},
    {frame: 6, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 8164, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 1}},
    {frame: 7, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 3, nr: 2, length: 50, type: 12, avpTypes: [0, 24, 19, 38], hiddenTypes: [], tshark: {txConnectSpeed: 0, rxConnectSpeed: 0, framingType: 1}},
    {frame: 8, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 4, nr: 2, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 8164, resultCode: {result: 1, error: 0}}},
    {frame: 10, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 8164, ns: 2, nr: 5, length: 38, type: 14, avpTypes: [0, 14, 1], hiddenTypes: [], tshark: {assignedSessionId: 1, resultCode: {result: 3, error: 0}}},
    {frame: 11, srcPort: 1701, dstPort: 1701, tunnelId: 1, sessionId: 1, ns: 5, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 12, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 13, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 14, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 15, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 16, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 17, srcPort: 1701, dstPort: 1701, tunnelId: 50714, sessionId: 0, ns: 3, nr: 5, length: 20, type: 6, avpTypes: [0], hiddenTypes: [], tshark: {}},
  ],
  'xl2tpd-noauth-session.pcap': [
    {frame: 1, srcPort: 1701, dstPort: 1702, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 107, type: 1, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 7090, hostName: 'lab-probe', vendorName: 'lab-l2tp-probe', receiveWindowSize: 4, firmwareRevision: 1, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 2, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 0, ns: 0, nr: 1, length: 111, type: 2, avpTypes: [0, 2, 3, 4, 6, 7, 8, 9, 10], hiddenTypes: [], tshark: {assignedTunnelId: 47503, hostName: 'lab-xl2tpd-lns', vendorName: 'xelerance.com', receiveWindowSize: 4, firmwareRevision: 1680, protocolVersion: {version: 1, revision: 0}, framingCapabilities: 3, bearerCapabilities: 0}},
    {frame: 3, srcPort: 1701, dstPort: 1702, tunnelId: 0, sessionId: 0, ns: 1, nr: 1, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 4, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 0, ns: 1, nr: 1, length: 20, type: 3, avpTypes: [0], hiddenTypes: [], tshark: {}},
    {frame: 5, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 0, ns: 1, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 6, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 0, ns: 2, nr: 1, length: 48, type: 10, avpTypes: [0, 14, 15, 18], hiddenTypes: [], tshark: {assignedSessionId: 15217, callSerialNumber: 1, bearerType: 0}},
    {frame: 7, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 15217, ns: 1, nr: 3, length: 28, type: 11, avpTypes: [0, 14], hiddenTypes: [], tshark: {assignedSessionId: 13009}},
    {frame: 8, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 0, ns: 2, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 9, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 0, ns: 3, nr: 2, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 10, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 13009, ns: 3, nr: 2, length: 40, type: 12, avpTypes: [0, 24, 19], hiddenTypes: [], tshark: {txConnectSpeed: 100000000, framingType: 1}},
    {frame: 11, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 15217, ns: 2, nr: 4, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 12, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 15217, ns: 2, nr: 4, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 13009, resultCode: {result: 1, error: 0}}},
    {frame: 13, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 0, ns: 4, nr: 3, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 14, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 13009, ns: 4, nr: 3, length: 38, type: 14, avpTypes: [0, 1, 14], hiddenTypes: [], tshark: {assignedSessionId: 15217, resultCode: {result: 3, error: 0}}},
    {frame: 15, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 15217, ns: 3, nr: 5, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
    {frame: 16, srcPort: 1701, dstPort: 1702, tunnelId: 47503, sessionId: 0, ns: 5, nr: 3, length: 38, type: 4, avpTypes: [0, 9, 1], hiddenTypes: [], tshark: {assignedTunnelId: 7090, resultCode: {result: 1, error: 0}}},
    {frame: 17, srcPort: 1702, dstPort: 1701, tunnelId: 7090, sessionId: 0, ns: 3, nr: 6, length: 12, type: undefined, avpTypes: [], hiddenTypes: [], tshark: {}},
  ],
};
