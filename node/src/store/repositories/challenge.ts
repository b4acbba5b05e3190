import { type Address, decodeAbiParameters, encodeAbiParameters, getAddress, hexToBytes } from "viem";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeAddressBytes, encodeUint, joinBytes, toHex } from "../encoding.js";
import type { Challenge } from "../types.js";
import { Repository } from "./repository.js";

const challengeParameters = [
  {
    name: "challenge",
    type: "tuple",
    components: [
      { name: "challengeId", type: "uint256" },
      { name: "subject", type: "address" },
      { name: "subjectId", type: "uint256" },
      { name: "challenger", type: "address" },
      { name: "defendant", type: "address" },
      { name: "bond", type: "uint256" },
      { name: "evidenceHash", type: "bytes32" },
      { name: "commitDeadline", type: "uint64" },
      { name: "revealDeadline", type: "uint64" },
      { name: "ruling", type: "uint8" },
    ],
  },
] as const;

/**
 * Arbiter challenges by challenge id (32 big-endian bytes). Value: `abi.encode((uint256 challengeId, address subject,
 * uint256 subjectId, address challenger, address defendant, uint256 bond, bytes32 evidenceHash, uint64
 * commitDeadline, uint64 revealDeadline, uint8 ruling))`.
 */
export class ChallengeRepository extends Repository<bigint, Challenge> {
  constructor(db: Database) {
    super(db, Bucket.challenges);
  }

  encodeKey(challengeId: bigint): Uint8Array {
    return encodeUint(challengeId, 32);
  }

  decodeKey(key: Uint8Array): bigint {
    if (key.length !== 32) throw new RangeError(`expected a 32-byte key, found ${key.length} bytes`);
    return decodeUint(key);
  }

  encodeValue(challenge: Challenge): Uint8Array {
    return hexToBytes(encodeAbiParameters(challengeParameters, [challenge]));
  }

  decodeValue(bytes: Uint8Array): Challenge {
    const [challenge] = decodeAbiParameters(challengeParameters, bytes);
    return { ...challenge };
  }
}

/** The id of a subject index entry. */
export type ChallengeSubjectKey = { subject: Address; subjectId: bigint; challengeId: bigint };

/**
 * Challenges of each subject: key subject contract (20 bytes) ‖ subject id (32, a version id or a pool id) ‖
 * challenge id (32), all big-endian, empty value. Read a version's or a pool's challenges as one contiguous range.
 */
export class ChallengeBySubjectRepository extends Repository<ChallengeSubjectKey, true> {
  constructor(db: Database) {
    super(db, Bucket.challengesBySubject);
  }

  encodeKey(id: ChallengeSubjectKey): Uint8Array {
    return joinBytes(encodeAddressBytes(id.subject), encodeUint(id.subjectId, 32), encodeUint(id.challengeId, 32));
  }

  decodeKey(key: Uint8Array): ChallengeSubjectKey {
    if (key.length !== 84) throw new RangeError(`expected an 84-byte key, found ${key.length} bytes`);
    return {
      subject: getAddress(toHex(key.subarray(0, 20))),
      subjectId: decodeUint(key.subarray(20, 52)),
      challengeId: decodeUint(key.subarray(52)),
    };
  }

  encodeValue(): Uint8Array {
    return new Uint8Array(0);
  }

  decodeValue(bytes: Uint8Array): true {
    if (bytes.length !== 0) throw new RangeError(`expected an empty value, found ${bytes.length} bytes`);
    return true;
  }

  /** Up to `limit` challenge ids against (`subject`, `subjectId`), ascending, from `after` (exclusive) on. */
  async listIds(subject: Address, subjectId: bigint, limit: number, after?: bigint): Promise<bigint[]> {
    const rows = await this.entriesWithPrefix(
      joinBytes(encodeAddressBytes(subject), encodeUint(subjectId, 32)),
      limit,
      after === undefined ? undefined : this.encodeKey({ subject, subjectId, challengeId: after }),
    );
    return rows.map(({ id }) => id.challengeId);
  }
}
