import {
  type Address,
  decodeAbiParameters,
  encodeAbiParameters,
  type Hex,
  isAddressEqual,
  keccak256,
  size,
} from "viem";
import { ReceiptError, ReceiptErrorCode } from "./errors.js";
import type { AttributionLeaf, AttributionMessage, Entry } from "./types.js";

/** Gossip topic of inference records (DESIGN §4). */
export const RECORDS_TOPIC = "/olp/records/1";

/** Gossip topic of attribution roots (DESIGN §4). */
export const ATTRIBUTION_TOPIC = "/olp/attribution/1";

/** Most entries in one records message (DESIGN §4). */
export const MAX_ENTRIES = 256;

/** Most bytes of one records message (DESIGN §4): 1 MiB. */
export const MAX_RECORDS_MESSAGE_BYTES = 1 << 20;

/** ABI components of the Receipt tuple, in the order of its EIP-712 type. */
export const receiptAbiComponents = [
  { name: "payer", type: "address" },
  { name: "node", type: "address" },
  { name: "versionId", type: "uint256" },
  { name: "lane", type: "uint32" },
  { name: "seq", type: "uint64" },
  { name: "requestHash", type: "bytes32" },
  { name: "value", type: "uint128" },
  { name: "cumulative", type: "uint128" },
] as const;

/** ABI components of the InferenceRecord tuple, in the order of its EIP-712 type. */
export const inferenceRecordAbiComponents = [
  { name: "receiptDigest", type: "bytes32" },
  { name: "outputHash", type: "bytes32" },
  { name: "promptTokens", type: "uint32" },
  { name: "outputTokens", type: "uint32" },
  { name: "datasetIds", type: "uint256[]" },
  { name: "weightsPpm", type: "uint32[]" },
] as const;

/** The one parameter of a `/olp/records/1` payload: `Entry[]`. */
export const recordsMessageParameters = [
  {
    name: "entries",
    type: "tuple[]",
    components: [
      { name: "receipt", type: "tuple", components: receiptAbiComponents },
      { name: "receiptSig", type: "bytes" },
      { name: "record", type: "tuple", components: inferenceRecordAbiComponents },
      { name: "recordSig", type: "bytes" },
      { name: "outputText", type: "string" },
    ],
  },
] as const;

/** The one parameter of a `/olp/attribution/1` payload: the tuple of DESIGN §4. */
export const attributionMessageParameters = [
  {
    name: "attribution",
    type: "tuple",
    components: [
      { name: "node", type: "address" },
      { name: "versionId", type: "uint256" },
      { name: "epoch", type: "uint64" },
      { name: "root", type: "bytes32" },
      {
        name: "leaves",
        type: "tuple[]",
        components: [
          { name: "datasetId", type: "uint256" },
          { name: "amount", type: "uint256" },
        ],
      },
      { name: "recordsRoot", type: "bytes32" },
      { name: "recordIds", type: "bytes32[]" },
    ],
  },
] as const;

/** The gossip message id of a payload: `keccak256(payload)`, so a replayed payload is a duplicate (DESIGN §4). */
export function getMessageId(payload: Hex): Hex {
  return keccak256(payload);
}

/**
 * The `/olp/records/1` payload of `entries`: `abi.encode(Entry[])`. Checks what the topic requires of the batch as a
 * whole (1 to 256 entries of one node, at most 1 MiB); each entry's own rules are checked by the validator. Throws a
 * {@link ReceiptError}.
 */
export function encodeRecordsMessage(entries: readonly Entry[]): Hex {
  checkBatch(entries);
  const payload = encodeAbiParameters(recordsMessageParameters, [entries]);
  const bytes = size(payload);
  if (bytes > MAX_RECORDS_MESSAGE_BYTES) {
    throw new ReceiptError({ code: ReceiptErrorCode.MESSAGE_TOO_LARGE, bytes, max: MAX_RECORDS_MESSAGE_BYTES });
  }
  return payload;
}

/**
 * The entries of a `/olp/records/1` payload. Refuses payloads above 1 MiB, that do not decode, that are not the
 * canonical encoding of what they decode to (another encoding would be another message id for the same entries),
 * that hold 0 or more than 256 entries, or entries of two nodes. Throws a {@link ReceiptError}.
 */
export function decodeRecordsMessage(payload: Hex): Entry[] {
  const bytes = size(payload);
  if (bytes > MAX_RECORDS_MESSAGE_BYTES) {
    throw new ReceiptError({ code: ReceiptErrorCode.MESSAGE_TOO_LARGE, bytes, max: MAX_RECORDS_MESSAGE_BYTES });
  }
  let entries: Entry[];
  try {
    const [decoded] = decodeAbiParameters(recordsMessageParameters, payload);
    entries = decoded.map(
      (entry): Entry => ({
        receipt: { ...entry.receipt },
        receiptSig: entry.receiptSig,
        record: { ...entry.record, datasetIds: [...entry.record.datasetIds], weightsPpm: [...entry.record.weightsPpm] },
        recordSig: entry.recordSig,
        outputText: entry.outputText,
      }),
    );
  } catch (cause) {
    throw new ReceiptError({ code: ReceiptErrorCode.MALFORMED_MESSAGE, topic: RECORDS_TOPIC }, { cause });
  }
  checkBatch(entries);
  // [REJECT] DESIGN §4: the payload is abi.encode of the entries, so its id is theirs.
  if (encodeAbiParameters(recordsMessageParameters, [entries]) !== payload.toLowerCase()) {
    throw new ReceiptError({ code: ReceiptErrorCode.NON_CANONICAL_MESSAGE, topic: RECORDS_TOPIC });
  }
  return entries;
}

/**
 * The `/olp/attribution/1` payload of a pool's root (DESIGN §4). Checks the leaves are strictly ascending by dataset
 * id with no zero amount, and the record ids strictly ascending. Throws a {@link ReceiptError}.
 */
export function encodeAttributionMessage(message: AttributionMessage): Hex {
  checkAttribution(message);
  return encodeAbiParameters(attributionMessageParameters, [message]);
}

/** The message of an `/olp/attribution/1` payload, with the checks of {@link encodeAttributionMessage}. */
export function decodeAttributionMessage(payload: Hex): AttributionMessage {
  let decoded: AttributionMessage;
  try {
    const [tuple] = decodeAbiParameters(attributionMessageParameters, payload);
    decoded = {
      node: tuple.node,
      versionId: tuple.versionId,
      epoch: tuple.epoch,
      root: tuple.root,
      leaves: tuple.leaves.map((leaf): AttributionLeaf => ({ datasetId: leaf.datasetId, amount: leaf.amount })),
      recordsRoot: tuple.recordsRoot,
      recordIds: [...tuple.recordIds],
    };
  } catch (cause) {
    throw new ReceiptError({ code: ReceiptErrorCode.MALFORMED_MESSAGE, topic: ATTRIBUTION_TOPIC }, { cause });
  }
  checkAttribution(decoded);
  if (encodeAbiParameters(attributionMessageParameters, [decoded]) !== payload.toLowerCase()) {
    throw new ReceiptError({ code: ReceiptErrorCode.NON_CANONICAL_MESSAGE, topic: ATTRIBUTION_TOPIC });
  }
  return decoded;
}

function checkBatch(entries: readonly Entry[]): void {
  // [REJECT] DESIGN §4: 1 to 256 entries.
  if (entries.length === 0 || entries.length > MAX_ENTRIES) {
    throw new ReceiptError({ code: ReceiptErrorCode.BATCH_SIZE, count: entries.length, max: MAX_ENTRIES });
  }
  const node: Address = entries[0]?.receipt.node ?? "0x";
  entries.forEach((entry, index) => {
    // [REJECT] DESIGN §4: entries of one node.
    if (!isAddressEqual(entry.receipt.node, node)) {
      throw new ReceiptError({ code: ReceiptErrorCode.MIXED_NODES, index, expected: node, found: entry.receipt.node });
    }
  });
}

function checkAttribution(message: AttributionMessage): void {
  let previous = 0n;
  message.leaves.forEach((leaf, index) => {
    // [REJECT] DESIGN §4: no zero amounts (and ids start at 1).
    if (leaf.datasetId === 0n || leaf.amount === 0n) {
      throw new ReceiptError({ code: ReceiptErrorCode.ATTRIBUTION_ZERO, index });
    }
    // [REJECT] DESIGN §4: leaves ascending by id.
    if (leaf.datasetId <= previous) {
      throw new ReceiptError({ code: ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING, field: "leaves", index });
    }
    previous = leaf.datasetId;
  });
  message.recordIds.forEach((id, index) => {
    const before = message.recordIds[index - 1];
    // [REJECT] DESIGN §4: record ids ascending.
    if (before !== undefined && BigInt(id) <= BigInt(before)) {
      throw new ReceiptError({ code: ReceiptErrorCode.ATTRIBUTION_NOT_ASCENDING, field: "recordIds", index });
    }
  });
}
